// Marks on the page's performance timeline when a screen is on screen, so the start-up
// benchmark (bench/desktop-start.mjs) can read how long the app took without timing it from
// outside. Nothing else reads them.
import { tick } from 'svelte';

export type Shown = 'signed-in' | 'documents';

export async function markShown(what: Shown): Promise<void> {
  await tick();
  requestAnimationFrame(() => performance.mark(`clinicdocs:${what}`));
}
