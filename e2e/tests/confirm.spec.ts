// Destructive and bulk actions ask first: a dialog where script runs (Back
// leaves everything as it was), a page of the server's own without script.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL,
  ENT,
  activeTokensPath,
  devTokensPath,
  entPatPath,
  expectNoAxeViolations,
  flash,
  grantNames,
  patSettingsPath,
  queuePath,
  radio,
  saveButton,
  signIn,
  screenshotsAt,
} from '../helpers';

useFreshServer();
test.describe.configure({ mode: 'serial' });

const shots = (page: Page, name: string) => screenshotsAt(page, 'confirm-' + name);

test('the dialog asks before a bulk approval; Back changes nothing', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(queuePath('octo-org'));
  await page.getByRole('checkbox', { name: 'Select deploy-bot', exact: true }).check();
  await page.getByRole('button', { name: 'Approve selected', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Approve the selected requests?', exact: true });
  await expect(dialog).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${queuePath('octo-org')}$`));
  await expectNoAxeViolations(page, 'confirmation dialog');
  await shots(page, 'dialog-approve-selected');

  await dialog.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  expect(await grantNames(page)).toEqual(['ci-reader', 'deploy-bot']);

  await page.getByRole('button', { name: 'Approve selected', exact: true }).click();
  await dialog.getByRole('button', { name: 'Approve selected requests', exact: true }).click();
  await expect(flash(page)).toHaveText('Approved “deploy-bot”.');
  expect(await grantNames(page)).toEqual(['ci-reader']);
});

test('the dialog asks before revoking a token, and Escape changes nothing', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(activeTokensPath('octo-org'));
  await page.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke “deploy-bot”?', exact: true });
  await expect(dialog).toContainText('Revoking is final');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.goto(activeTokensPath('octo-org'));
  expect(await grantNames(page)).toContain('deploy-bot');
});

test('the dialog asks before saving a choice that approves pending requests', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  await saveButton(page).click();
  const dialog = page.getByRole('dialog', { name: 'Approve pending requests?', exact: true });
  await expect(dialog).toContainText('Saving this choice approves the 1 pending request.');
  await shots(page, 'dialog-org-settings');
  await dialog.getByRole('button', { name: 'Back', exact: true }).click();
  await page.goto(queuePath('octo-org'));
  expect(await grantNames(page)).toEqual(['ci-reader']);
});

test('the enterprise page asks before disabling the approval flow, naming the organizations', async ({ page }) => {
  await signIn(page, 'ent-admin');
  await page.goto(entPatPath('octo-ent'));
  await radio(page, APPROVAL.legend, ENT.approvalDisable).check();
  await expect(radio(page, APPROVAL.legend, ENT.approvalDisable))
    .toHaveAccessibleDescription(/Saving this choice approves 1 pending request in octo-org\./);
  await shots(page, 'enterprise-notice');
  await saveButton(page).click();
  const dialog = page.getByRole('dialog', { name: 'Approve pending requests?', exact: true });
  await expect(dialog).toContainText('1 pending request in octo-org');
  await dialog.getByRole('button', { name: 'Save and approve requests', exact: true }).click();
  await expect(flash(page)).toContainText('saved');
});

test('the confirmation page passes axe', async ({ page }) => {
  await signIn(page, 'mona');
  await page.goto(devTokensPath);
  await page.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  // As a browser without script would: no dialog, the server's page.
  await page.evaluate(() => document.querySelectorAll('[data-confirm]').forEach((e) => e.removeAttribute('data-confirm')));
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Delete “deploy-bot”?', exact: true, level: 1 })).toBeVisible();
  await expectNoAxeViolations(page, 'confirmation page');
});

test.describe('without script', () => {
  test.use({ javaScriptEnabled: false });

  test('deleting a token asks on a page; Back keeps it, the button deletes it', async ({ page }) => {
    await signIn(page, 'mona');
    await page.goto(devTokensPath);
    await page.getByRole('link', { name: 'deploy-bot', exact: true }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Delete “deploy-bot”?', exact: true, level: 1 })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Developer settings', exact: true })).toBeVisible();
    await shots(page, 'page-delete');
    await page.getByRole('link', { name: 'Back', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'deploy-bot', exact: true, level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete token', exact: true }).click();
    await expect(flash(page)).toContainText('“deploy-bot” deleted');
    await expect(page.getByRole('link', { name: 'deploy-bot', exact: true })).toHaveCount(0);
  });

  test('a bulk revoke asks on a page within the organization settings', async ({ page }) => {
    await signIn(page, 'octo-owner');
    await page.goto(activeTokensPath('octo-org'));
    await page.getByRole('checkbox', { name: 'Select owner-automation', exact: true }).check();
    await page.getByRole('button', { name: 'Revoke selected', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Revoke 1 token?', exact: true, level: 1 })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Organization settings', exact: true })).toBeVisible();
    await shots(page, 'page-revoke-selected');
    await page.getByRole('button', { name: 'Revoke selected tokens', exact: true }).click();
    await expect(flash(page)).toHaveText('Revoked “owner-automation”.');
  });
});
