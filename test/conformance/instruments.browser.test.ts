/**
 * The conformance suite in Chromium: the core engine as `omnimeter/browser`
 * ships it and the guest-side recorder backend wired to a host session in
 * the page.
 */
import { portableBackends } from '../support/backend-cases.js';
import { conformanceSuite } from './suite.js';

conformanceSuite(portableBackends);
