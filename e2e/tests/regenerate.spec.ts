// Regenerate token on a token's page: a new secret shown once, the old one
// refused by the API at once; the same without JavaScript; and revoking a
// token by its value with GitHub's own client, Octokit.
import { Octokit } from '@octokit/rest';
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import * as path from 'node:path';
import { useFreshServer } from '../server';
import { REPO_ACCESS, createClassicToken, createFineGrainedToken, expectNoAxeViolations, signIn } from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const SHOTS = path.join(__dirname, '..', '.tmp', 'shots');

/** Full-page screenshots at the desktop and phone widths. */
async function shots(page: Page, name: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: path.join(SHOTS, `regenerate-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** The status of GET path on the API with secret. */
async function apiStatus(request: APIRequestContext, secret: string, apiPath: string): Promise<number> {
  const res = await request.get(srv.url(`/api/v3${apiPath}`), { headers: { Authorization: `Bearer ${secret}` } });
  return res.status();
}

test('regenerate shows a new secret once and the old one stops working', async ({ page, request }) => {
  await signIn(page, 'octo-owner');
  const { path: tokenPath, secret: old } = await createFineGrainedToken(page, {
    name: 'nightly-sync', owner: 'octo-org', selection: REPO_ACCESS.all, permissions: { Contents: 'Read-only' },
  });
  expect(await apiStatus(request, old, '/repos/octo-org/octo-api')).toBe(200);

  await page.goto(tokenPath);
  await page.getByRole('button', { name: 'Regenerate token', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${tokenPath}/regenerate\\??$`)); // a GET form without fields
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Regenerate “nightly-sync”');
  const expiration = page.getByRole('combobox', { name: 'Expiration', exact: true });
  await expect(expiration).toHaveValue('30');
  await expectNoAxeViolations(page, 'regenerate form');
  await shots(page, 'form');

  await expiration.selectOption({ label: '7 days' });
  await page.getByRole('button', { name: 'Regenerate token', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${tokenPath}$`));
  await expect(page.getByRole('status')).toContainText('regenerated');
  const box = page.getByRole('textbox', { name: 'New token', exact: true });
  await expect(box).not.toBeEditable();
  const secret = await box.inputValue();
  expect(secret).toMatch(/^github_pat_/);
  expect(secret).not.toBe(old);
  await expectNoAxeViolations(page, 'regenerated token');
  await shots(page, 'result');

  expect(await apiStatus(request, old, '/repos/octo-org/octo-api')).toBe(401);
  expect(await apiStatus(request, secret, '/repos/octo-org/octo-api')).toBe(200);

  await page.reload();
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('nightly-sync');
});

test('a member regenerates without JavaScript and the token waits for approval again', async ({ browser, request }) => {
  const ctx = await browser.newContext({ baseURL: srv.baseURL, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await signIn(page, 'mona');
  const { path: tokenPath, secret: old } = await createClassicToken(page, { note: 'regen-nojs', scopes: ['repo'] });
  await page.goto(tokenPath);
  await page.getByRole('button', { name: 'Regenerate token', exact: true }).click();
  await page.getByRole('combobox', { name: 'Expiration', exact: true }).selectOption({ label: 'No expiration' });
  await page.getByRole('button', { name: 'Regenerate token', exact: true }).click();
  const secret = await page.getByRole('textbox', { name: 'New token', exact: true }).inputValue();
  expect(secret).toMatch(/^ghp_/);
  expect(await apiStatus(request, old, '/user')).toBe(401);
  expect(await apiStatus(request, secret, '/user')).toBe(200);

  // mona's approved token in octo-org, which requires approval: the owner
  // approves it, mona regenerates it, and it is pending again.
  const { path: fgPath } = await createFineGrainedToken(page, {
    name: 'regen-member', owner: 'octo-org', justification: 'Reads octo-api', selection: REPO_ACCESS.all,
  });
  const ownerCtx = await browser.newContext({ baseURL: srv.baseURL, javaScriptEnabled: false });
  const owner = await ownerCtx.newPage();
  await signIn(owner, 'octo-owner');
  await owner.goto('/organizations/octo-org/settings/personal-access-token-requests');
  await owner.getByRole('link', { name: 'regen-member', exact: true }).click();
  await owner.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.goto(fgPath);
  await page.getByRole('button', { name: 'Regenerate token', exact: true }).click();
  await expect(page.getByText('An owner of octo-org must approve this token again')).toBeVisible();
  // (axe needs script in the page: it checks the same form in the first test.)
  await shots(page, 'form-pending');
  await page.getByRole('button', { name: 'Regenerate token', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('must approve it again');
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toBeVisible();
  await shots(page, 'result-pending');
  await owner.goto('/organizations/octo-org/settings/personal-access-token-requests');
  await expect(owner.getByRole('link', { name: 'regen-member', exact: true })).toBeVisible();
  await ownerCtx.close();
  await ctx.close();
});

test('Octokit revokes a token by its value, without authentication', async ({ page, request }) => {
  await signIn(page, 'hubot');
  const { secret } = await createClassicToken(page, { note: 'leaked-in-a-gist', scopes: ['repo'] });
  expect(await apiStatus(request, secret, '/user')).toBe(200);
  const anyone = new Octokit({ baseUrl: srv.url('/api/v3') });
  const res = await anyone.request('POST /credentials/revoke', { credentials: [secret, 'ghp_not-a-real-token'] });
  expect(res.status).toBe(202);
  expect(await apiStatus(request, secret, '/user')).toBe(401);
  await page.goto('/notifications');
  await expect(page.getByText('“leaked-in-a-gist” was deleted because its secret was reported as exposed')).toBeVisible();
  await expect(page.locator('main')).not.toContainText(secret);
});
