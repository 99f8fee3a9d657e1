import type { NatConfigFormat } from './format.js';
import { natConfigFormats } from './formats/index.js';

/**
 * The configuration formats this build ships, as the service and the CLI offer them (tests
 * hand their own list to the registry instead). The formats themselves live in formats/.
 */
export const installedFormats: readonly NatConfigFormat[] = natConfigFormats;
