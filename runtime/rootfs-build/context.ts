// What every profile step gets: the recipe, the target, the trees it works in.

import type { TargetArch } from './arch.ts'
import type { Progress } from './progress.ts'
import type { Recipe } from './recipe.ts'

export interface BuildContext {
  recipe: Recipe
  arch: TargetArch
  /** the unpacked .debs (and build products), deleted at the end */
  staging: string
  /** the rootfs being assembled */
  rootfs: string
  /** a scratch dir for the build's own files (trace configs, the app's build) */
  work: string
  cacheDir: string
  progress: Progress
  /** --app, or the recipe's sample */
  app: string
  with: string[]
  trace: boolean
  cds: boolean
}

/** What a profile hands back: the command the lite config runs, and extra size lines. */
export interface ProfileResult {
  cmd: string
  /** named sizes worth reporting apart (the CDS archive, --with libraries), bytes */
  extras: Record<string, number>
}

/** The packages the recipe lists plus those of each --with option. */
export function recipeDebs(ctx: BuildContext): string[] {
  const debs = [...ctx.recipe.debs]
  for (const w of ctx.with) debs.push(...(ctx.recipe.with.get(w)?.debs ?? []))
  return [...new Set(debs)]
}
