// The shared data directory beside the checkout (../shared: conformance suite, kernel 6.18 data,
// recorded traces), wherever the checkout is.
import { join } from 'node:path';

export const SHARED = join(__dirname, '..', '..', 'shared');
