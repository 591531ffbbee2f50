// preview2-shim 0.26 starts with no filesystem preopens, so jco's commands
// that read WIT from disk fail (os error 44). jco's CLI runs with
// `node --import` of this file, which opens the filesystem root to it.
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

_setPreopens({ '/': '/' });
