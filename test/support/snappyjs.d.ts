declare module 'snappyjs' {
  /** Decodes the snappy block format (zhipeng-jia/snappyjs): the independent decoder the tests check ours against. */
  export function uncompress(input: Uint8Array | ArrayBuffer): Uint8Array;
  export function compress(input: Uint8Array | ArrayBuffer): Uint8Array;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
