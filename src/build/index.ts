/**
 * `omnimeter/build`: building guest components from source (Node only).
 * AssemblyScript guests go through asc; any compiler's output goes through
 * buildComponent. Tools are optional peers (assemblyscript,
 * @bytecodealliance/jco), loaded on first use with a message naming the
 * package when one is missing. `omnimeter build-guest` is the command.
 */
export {
  buildAssemblyScriptGuest,
  buildComponent,
  toolVersions,
  type AssemblyScriptGuest,
  type ComponentRecipe,
  type GuestBuild,
} from './guest.js';
export { compileAssemblyScript, kebabName } from './assemblyscript.js';
export { JCO, loadJco, makeComponent, transpileInto, writeComponent, type Jco, type WrittenComponent } from './component.js';
export { MissingPeerError, importPeer, installedPeerVersion, peerRange } from './peers.js';
export { hashFiles, isFresh, readStamp, writeStamp, type Stamp } from './stamp.js';
export { OMNIMETER_WIT, prepareWit, witFiles, type WitFolder } from './wit.js';
export { transpileCached, type TranspiledComponent } from './transpile.js';
