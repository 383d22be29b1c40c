// Docker's default seccomp profile in lite's compact form, derived at build time by
// scripts/seccomp from a pinned upstream file (its source is recorded in the data);
// bun build embeds it in dist/lite.

import data from '../../build/seccomp/default.json' with { type: 'json' }
import type { CompactProfile } from './profile.ts'

export const DEFAULT_PROFILE = data as unknown as CompactProfile & { source: Record<string, string> }
