// The token inventory: an organization's "All tokens", the enterprise's
// inventory and its pending requests across organizations.
import { expect, Locator, Page, test } from '@playwright/test';
import * as fs from 'node:fs';
import { useFreshServer } from '../server';
import { createClassicToken, entPatPath, expectNoAxeViolations, orgSettingsNav, patSettingsPath, screenshotsAt, signIn } from '../helpers';

useFreshServer();

const inventoryPath = (org: string) => `/organizations/${org}/settings/personal-access-tokens/inventory`;
const entInventoryPath = (ent: string) => `/enterprises/${ent}/settings/personal-access-tokens/inventory`;

function table(page: Page): Locator {
  return page.getByRole('table');
}

/** The first cell (Token) of each row of the inventory. */
async function tokenNames(page: Page): Promise<string[]> {
  if ((await table(page).count()) === 0) return [];
  return (await table(page).locator('tbody tr td:first-child').allInnerTexts()).map((s) => s.trim());
}

async function filter(page: Page, f: { Kind?: string; Owner?: string; Status?: string; Organization?: string }) {
  for (const [name, label] of Object.entries(f)) {
    await page.getByRole('combobox', { name, exact: true }).selectOption({ label });
  }
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
}

test.describe.serial('token inventory', () => {
  test('a member makes a classic token', async ({ page }) => {
    await signIn(page, 'mona');
    await createClassicToken(page, { note: '=laptop git', scopes: ['repo', 'read:org'] });
  });

  test('owners list every token, filter it and download it', async ({ page }) => {
    await signIn(page, 'octo-owner');
    await page.goto(patSettingsPath('octo-org'));
    await orgSettingsNav(page).getByRole('link', { name: 'All tokens', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${inventoryPath('octo-org')}$`));
    await expect(page.getByRole('heading', { name: 'All tokens', exact: true, level: 1 })).toBeVisible();
    for (const col of ['Token', 'Owner', 'Kind', 'Status', 'Expires', 'Last used here']) {
      await expect(table(page).getByRole('columnheader', { name: col, exact: true })).toBeVisible();
    }
    expect(await tokenNames(page)).toEqual(['=laptop git', 'owner-automation', 'ci-reader', 'deploy-bot']);
    await expectNoAxeViolations(page, 'organization inventory');
    await screenshotsAt(page, '90-inventory');

    await filter(page, { Kind: 'Classic' });
    expect(await tokenNames(page)).toEqual(['=laptop git']);
    await expect(table(page).getByRole('row', { name: /=laptop git/ })).toContainText('Blocked by policy');
    await filter(page, { Kind: 'Any kind', Status: 'Pending' });
    expect(await tokenNames(page)).toEqual(['ci-reader', 'deploy-bot']);
    await filter(page, { Owner: 'mona' });
    expect(await tokenNames(page)).toEqual(['deploy-bot']);
    await filter(page, { Owner: 'hubot', Status: 'Expiring soon' });
    await expect(page.getByText('No tokens match these filters', { exact: true })).toBeVisible();

    // The CSV holds the filtered list; a note that reads as a formula is
    // kept as text.
    await filter(page, { Owner: 'Any owner', Status: 'Any status', Kind: 'Classic' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('octo-org-tokens.csv');
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('Token,Owner,Kind,Scopes,Status,Expires,Last used here');
    expect(csv.length).toBe(2);
    expect(csv[1]).toMatch(/^'=laptop git,mona,Classic,repo read:org,Blocked by policy,/);
  });

  test('members do not find it', async ({ page }) => {
    await signIn(page, 'mona');
    const res = await page.goto(inventoryPath('octo-org'));
    expect(res?.status()).toBe(404);
  });

  test('enterprise owners see it across organizations, and the pending requests', async ({ page }) => {
    await signIn(page, 'ent-admin');
    await page.goto(entPatPath('octo-ent'));
    const nav = page.getByRole('navigation', { name: 'Enterprise settings', exact: true });
    await nav.getByRole('link', { name: 'All tokens', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${entInventoryPath('octo-ent')}$`));
    await expect(table(page).getByRole('columnheader', { name: 'Organization', exact: true })).toBeVisible();
    expect(await tokenNames(page)).toEqual(['=laptop git', 'owner-automation', 'ci-reader', 'deploy-bot']);
    await filter(page, { Organization: 'octo-org', Status: 'Active' });
    expect(await tokenNames(page)).toEqual(['owner-automation']);
    await page.goto(entInventoryPath('octo-ent'));
    await expectNoAxeViolations(page, 'enterprise inventory');
    await screenshotsAt(page, '91-enterprise-inventory');

    await nav.getByRole('link', { name: 'Pending requests', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Pending requests', exact: true, level: 1 })).toBeVisible();
    await expectNoAxeViolations(page, 'enterprise pending requests');
    await screenshotsAt(page, '92-enterprise-requests');
    const link = table(page).getByRole('link', { name: 'deploy-bot', exact: true });
    await expect(link).toHaveAttribute('href', /^\/organizations\/octo-org\/settings\/personal-access-token-requests\/\d+$/);
  });
});

test.describe('without script', () => {
  test.use({ javaScriptEnabled: false });
  test('the inventory filters with a plain form', async ({ page }) => {
    await signIn(page, 'octo-owner');
    await page.goto(inventoryPath('octo-org'));
    await filter(page, { Status: 'Pending', Owner: 'hubot' });
    expect(new URL(page.url()).searchParams.get('status')).toBe('pending');
    expect(await tokenNames(page)).toEqual(['ci-reader']);
  });
});
