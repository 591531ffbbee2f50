declare module 'logfmt' {
  /** Parses one logfmt line into key/value pairs (heroku/logfmt). */
  export function parse(line: string): Record<string, string | boolean>;
  const logfmt: { parse: typeof parse };
  export default logfmt;
}
