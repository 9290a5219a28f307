// Enterprise policies (octo-ent) and how they lock an organization's settings (octo-org).
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL, CLASSIC, ENT, FG, LIFETIME, auditLog, entPatPath, group, openUserMenu, patSettingsPath,
  radio, saveAndExpectSaved, signIn,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

test('ent-admin restricts fine-grained tokens and sets a maximum lifetime', async ({ page }) => {
  await signIn(page, 'ent-admin');
  await openUserMenu(page);
  await page.getByRole('link', { name: 'Your enterprises', exact: true }).click();
  await expect(page).toHaveURL(/\/settings\/enterprises$/);
  await page.getByRole('link', { name: 'Octo Enterprise', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${entPatPath('octo-ent')}$`));

  const nav = page.getByRole('navigation', { name: 'Enterprise settings', exact: true });
  await expect(nav.getByRole('link', { name: 'Personal access tokens', exact: true })).toHaveAttribute('aria-current', 'page');

  // Demo policies.
  await expect(radio(page, FG.legend, ENT.fgConfigure)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, ENT.approvalConfigure)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, ENT.classicRestrict)).toBeChecked();
  for (const label of [ENT.fgRestrict, ENT.fgAllow]) await expect(radio(page, FG.legend, label)).toBeEnabled();
  for (const label of [ENT.approvalRequire, ENT.approvalDisable]) await expect(radio(page, APPROVAL.legend, label)).toBeEnabled();
  for (const label of [ENT.classicConfigure, ENT.classicAllow]) await expect(radio(page, CLASSIC.legend, label)).toBeEnabled();
  const lifetime = group(page, LIFETIME.legend);
  await expect(lifetime.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true })).not.toBeChecked();
  await expect(lifetime.getByRole('checkbox', { name: LIFETIME.classicExpire, exact: true })).toBeVisible();
  await expect(lifetime.getByRole('checkbox', { name: LIFETIME.exemptAdmins, exact: true })).toBeVisible();

  await radio(page, FG.legend, ENT.fgRestrict).check();
  await lifetime.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true }).check();
  await lifetime.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true }).fill('30');
  await saveAndExpectSaved(page);

  await page.goto(entPatPath('octo-ent'));
  await expect(radio(page, FG.legend, ENT.fgRestrict)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, ENT.approvalConfigure)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, ENT.classicRestrict)).toBeChecked();
  await expect(group(page, LIFETIME.legend).getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true })).toBeChecked();
  await expect(group(page, LIFETIME.legend).getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true })).toHaveValue('30');
});

test('octo-owner sees fine-grained access locked by the enterprise', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: srv.baseURL });
  const page = await context.newPage();
  await signIn(page, 'octo-owner');
  // Not an enterprise owner: no "Your enterprises".
  await openUserMenu(page);
  await expect(page.getByRole('link', { name: 'Your enterprises', exact: true })).toHaveCount(0);

  await page.goto(patSettingsPath('octo-org'));
  const fg = group(page, FG.legend);
  await expect(fg).toContainText('Managed by the Octo Enterprise enterprise');
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(page, FG.legend, FG.restrict)).toBeDisabled();
  await expect(radio(page, FG.legend, FG.allow)).toBeDisabled();
  await expect(radio(page, FG.legend, FG.allow)).not.toBeChecked();
  // Classic stays locked too; approval is still the organization's to choose.
  await expect(group(page, CLASSIC.legend)).toContainText('Managed by the Octo Enterprise enterprise');
  await expect(radio(page, APPROVAL.legend, APPROVAL.require)).toBeEnabled();
  await expect(group(page, APPROVAL.legend)).not.toContainText('Managed by');
  await context.close();
});

test('octo-org cannot loosen the enterprise maximum lifetime, but can tighten it', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: srv.baseURL });
  const page = await context.newPage();
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));

  const lifetime = group(page, LIFETIME.legend);
  const expire = lifetime.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true });
  const days = lifetime.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true });
  await expect(expire).toBeEnabled();
  await expire.check();
  await days.fill('60');
  // Let the server judge (the input may also carry max=30 for the browser).
  await page.locator('form').filter({ has: days }).evaluate((f: HTMLFormElement) => { f.noValidate = true; });
  await page.getByRole('button', { name: 'Save', exact: true }).click();

  // An error naming the limit; nothing saved.
  await expect(page.getByRole('status').filter({ hasText: 'saved' })).toHaveCount(0);
  await expect(page.getByRole('alert').filter({ hasText: '30' })).toBeVisible();
  await page.goto(patSettingsPath('octo-org'));
  await expect(page.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true })).not.toHaveValue('60');
  // The enterprise's own limit is in octo-org's log too, by ent-admin; the
  // refused save added nothing by octo-owner.
  const actions = (await auditLog(page, 'octo-org')).filter((r) => r.actor === 'octo-owner').map((r) => r.action);
  expect(actions).not.toContain('personal_access_token.expiration_limit_set');

  // Tightening is allowed.
  await page.goto(patSettingsPath('octo-org'));
  await page.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true }).check();
  await page.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true }).fill('20');
  await saveAndExpectSaved(page);
  await page.goto(patSettingsPath('octo-org'));
  await expect(page.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true })).toBeChecked();
  await expect(page.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true })).toHaveValue('20');
  const after = (await auditLog(page, 'octo-org')).filter((r) => r.actor === 'octo-owner').map((r) => r.action);
  expect(after).toContain('personal_access_token.expiration_limit_set');
  await context.close();
});

test('mona (not an enterprise owner) gets 404 on the enterprise page', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: srv.baseURL });
  const page = await context.newPage();
  await signIn(page, 'mona');
  await openUserMenu(page);
  await expect(page.getByRole('link', { name: 'Your enterprises', exact: true })).toHaveCount(0);
  const res = await page.goto(entPatPath('octo-ent'));
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('radio')).toHaveCount(0);
  // octo-owner is not an enterprise owner either.
  const ctx2 = await browser.newContext({ baseURL: srv.baseURL });
  const page2 = await ctx2.newPage();
  await signIn(page2, 'octo-owner');
  expect((await page2.goto(entPatPath('octo-ent')))?.status()).toBe(404);
  await ctx2.close();
  await context.close();
});
