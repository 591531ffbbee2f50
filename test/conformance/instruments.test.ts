import { backends } from '../support/backends.js';
import { conformanceSuite } from './suite.js';

conformanceSuite(backends);
