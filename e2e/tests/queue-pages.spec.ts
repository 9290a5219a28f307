// The queue is paginated, 50 a page, newest first, with "Previous"/"Next" links that
// keep the filters. Many requests are created through the
// form's own POST to keep this quick.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import { REPO_ACCESS, createFineGrainedTokensQuickly, flash, grantNames, queuePath, signIn, confirmAction } from '../helpers';

useFreshServer();
test.describe.configure({ mode: 'serial' });

const ORG = 'octo-org';
const N = 50; // mona's new requests; with the demo's two, 52 pending
const names = Array.from({ length: N }, (_, i) => `bulk-${String(i + 1).padStart(2, '0')}`);

test('50 requests a page, newest first, with Previous and Next', async ({ page, browser, baseURL }) => {
  test.slow();
  await signIn(page, 'mona');
  await createFineGrainedTokensQuickly(page, names.map((name) => ({
    name, owner: ORG, justification: `why ${name}`, selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' },
  })));

  const ctx = await browser.newContext({ baseURL });
  const owner = await ctx.newPage();
  await signIn(owner, 'octo-owner');
  await owner.goto(queuePath(ORG));
  const pager = owner.getByRole('link', { name: 'Next', exact: true });
  const prev = owner.getByRole('link', { name: 'Previous', exact: true });
  let page1 = await grantNames(owner);
  expect(page1).toHaveLength(50);
  expect(page1[0]).toBe('bulk-50');
  expect(page1[49]).toBe('bulk-01');
  await expect(prev).toHaveCount(0);
  await pager.click();
  const page2 = await grantNames(owner);
  expect(page2).toEqual(['ci-reader', 'deploy-bot']);
  await expect(pager).toHaveCount(0);
  await prev.click();
  expect(await grantNames(owner)).toEqual(page1);
  await expect(prev).toHaveCount(0);

  // Filters are kept across pages: mona's 51 requests.
  await owner.goto(`${queuePath(ORG)}?owner=mona`);
  page1 = await grantNames(owner);
  expect(page1).toHaveLength(50);
  await pager.click();
  expect(new URL(owner.url()).searchParams.get('owner')).toBe('mona');
  expect(await grantNames(owner)).toEqual(['deploy-bot']);

  // Deciding on the second page keeps the filter and leaves the first page alone.
  await owner.getByRole('checkbox', { name: 'Select deploy-bot', exact: true }).check();
  await owner.getByRole('button', { name: 'Approve selected', exact: true }).click();
  await confirmAction(owner, 'Approve selected requests');
  await expect(flash(owner)).toHaveText('Approved “deploy-bot”.');
  expect(new URL(owner.url()).searchParams.get('owner')).toBe('mona');
  await owner.goto(`${queuePath(ORG)}?owner=mona`);
  expect(await grantNames(owner)).toHaveLength(50);
  await expect(pager).toHaveCount(0);

  // Bulk over a whole page.
  await owner.goto(queuePath(ORG));
  for (const n of (await grantNames(owner)).slice(0, 10)) {
    await owner.getByRole('checkbox', { name: `Select ${n}`, exact: true }).check();
  }
  await owner.getByRole('button', { name: 'Approve selected', exact: true }).click();
  await confirmAction(owner, 'Approve selected requests');
  await expect(flash(owner)).toHaveText('Approved 10 requests.');
  expect(await grantNames(owner)).toHaveLength(41); // 51 - 10 left
  await expect(pager).toHaveCount(0);
  await ctx.close();
});
