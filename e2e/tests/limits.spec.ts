// What policy does to tokens, said where tokens are listed and chosen:
// "Blocked by <org>'s policy", and expirations beyond an organization's
// maximum lifetime unavailable on the new-token form.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  FG,
  LIFETIME,
  activeTokensPath,
  devTokensPath,
  expectNoAxeViolations,
  expectTokenStatus,
  grantRow,
  patSettingsPath,
  radio,
  saveAndExpectSaved,
  signedInPages,
  signIn,
  screenshotsAt,
} from '../helpers';

const srv = useFreshServer();
const signedInPage = signedInPages(srv);
test.describe.configure({ mode: 'serial' });

const shots = (page: Page, name: string) => screenshotsAt(page, 'limits-' + name);

const expiration = (page: Page) => page.getByRole('combobox', { name: 'Expiration', exact: true });
const expOption = (page: Page, label: string) => expiration(page).getByRole('option', { name: label, exact: true });

test('a restricted organization blocks its tokens, and the lists say so', async ({ page, browser }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await radio(page, FG.legend, FG.restrict).check();
  await saveAndExpectSaved(page);
  await page.goto(devTokensPath);
  await expectTokenStatus(page, 'owner-automation', "Blocked by octo-org's policy");
  await shots(page, 'developer-list');
  await page.goto(activeTokensPath('octo-org'));
  await expect(grantRow(page, 'owner-automation')).toContainText("Blocked by octo-org's policy");
  await expectNoAxeViolations(page, 'active tokens with a blocked token');
  await shots(page, 'active-tokens');
  // Allowed again.
  await page.goto(patSettingsPath('octo-org'));
  await radio(page, FG.legend, FG.allow).check();
  await saveAndExpectSaved(page);
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(devTokensPath);
  await expectTokenStatus(owner, 'owner-automation', 'Active');
});

test('expirations beyond the chosen owner’s maximum become unavailable', async ({ page, browser }) => {
  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(patSettingsPath('octo-org'));
  await owner.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true }).check();
  await owner.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true }).fill('30');
  await saveAndExpectSaved(owner);

  await signIn(page, 'mona');
  await page.goto(`${devTokensPath}/new`);
  await expect(expiration(page)).toHaveAccessibleDescription(/Longer expirations are not available for octo-org \(at most 30 days\)\./);
  await expiration(page).selectOption({ label: '90 days' });
  await expect(expOption(page, 'No expiration')).toBeEnabled();
  await page.getByRole('combobox', { name: 'Resource owner', exact: true }).selectOption('octo-org');
  for (const label of ['60 days', '90 days', '366 days', 'No expiration']) await expect(expOption(page, label)).toBeDisabled();
  for (const label of ['7 days', '30 days']) await expect(expOption(page, label)).toBeEnabled();
  // The choice that no longer fits moved to the longest that does.
  await expect(expiration(page)).toHaveValue('30');
  await expectNoAxeViolations(page, 'new token form with a maximum lifetime');
  await shots(page, 'new-token');
  // Back to the user's own: everything available again.
  await page.getByRole('combobox', { name: 'Resource owner', exact: true }).selectOption('@me');
  await expect(expOption(page, 'No expiration')).toBeEnabled();
});

test.describe('without script', () => {
  test.use({ javaScriptEnabled: false });
  test('the refused expiration comes back with the longer ones unavailable', async ({ page }) => {
    await signIn(page, 'mona');
    await page.goto(`${devTokensPath}/new`);
    await page.getByRole('textbox', { name: 'Token name', exact: true }).fill('too-long');
    await expiration(page).selectOption({ label: '90 days' });
    await page.getByRole('combobox', { name: 'Resource owner', exact: true }).selectOption('octo-org');
    await page.getByRole('textbox', { name: 'Justification', exact: true }).fill('Testing');
    await page.getByRole('button', { name: 'Generate token', exact: true }).click();
    await expect(page.getByRole('main')).toContainText('octo-org requires fine-grained personal access tokens to expire within 30 days');
    await expect(expiration(page)).toHaveValue('90');
    await expect(expOption(page, '366 days')).toBeDisabled();
    await expect(expOption(page, '30 days')).toBeEnabled();
  });
});
