// Sign in, return_to, sign out, and who may see organization settings.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  auditLogPath, onboardingPath, openUserMenu, orgProfilePath, patSettingsPath, signIn, userMenuButton,
} from '../helpers';

const srv = useFreshServer();

test('wrong password shows an alert on the login page', async ({ page }) => {
  await page.goto('/login');
  await signIn(page, 'octo-owner', { password: 'not-the-password', goto: false, expectSuccess: false });
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('alert')).toContainText('Incorrect username or password.');
  await expect(userMenuButton(page)).toHaveCount(0);
  // Unknown user: the same message.
  await signIn(page, 'nobody-here', { goto: true, expectSuccess: false });
  await expect(page.getByRole('alert')).toContainText('Incorrect username or password.');
  // And the right password still works afterwards.
  await signIn(page, 'octo-owner');
});

test('an unauthenticated visit goes to /login?return_to=… and comes back after sign-in', async ({ page }) => {
  const target = patSettingsPath('octo-org');
  await page.goto(target);
  await expect(page).toHaveURL(/\/login\?/);
  const returnTo = new URL(page.url()).searchParams.get('return_to');
  expect(returnTo).toBe(target);
  await signIn(page, 'octo-owner', { goto: false });
  await expect(page).toHaveURL(srv.url(target));
  await expect(page.getByRole('button', { name: 'Save', exact: true })).toBeVisible();
});

test('return_to keeps the query string', async ({ page }) => {
  const target = `${auditLogPath('octo-org')}?action=personal_access_token.access_restriction_enabled`;
  await page.goto(target);
  await expect(page).toHaveURL(/\/login\?/);
  expect(new URL(page.url()).searchParams.get('return_to')).toBe(target);
  await signIn(page, 'octo-owner', { goto: false });
  await expect(page).toHaveURL(srv.url(target));
});

// Some only say "//" once decoded: a redirect to "///evil.example/" is one
// to evil.example for a browser.
const evilReturnTos = [
  'https://evil.example/', '//evil.example/x', '/\\evil.example/x',
  '/%2F%2Fevil.example/{', '/%252F%252Fevil.example/x', '/%5Cevil.example/x',
];

for (const evil of evilReturnTos) {
  test(`return_to ${evil} does not leave the site`, async ({ page }) => {
    // Were the browser sent there, it would land here, not on a DNS error.
    await page.route((url) => url.hostname === 'evil.example', (route) => route.fulfill({ body: 'evil' }));
    await page.goto(`/login?return_to=${encodeURIComponent(evil)}`);
    await signIn(page, 'octo-owner', { goto: false });
    expect(new URL(page.url()).origin).toBe(srv.baseURL);
  });

  test(`return_to ${evil} does not take a signed-in visitor off the site`, async ({ page }) => {
    await page.route((url) => url.hostname === 'evil.example', (route) => route.fulfill({ body: 'evil' }));
    await signIn(page, 'octo-owner');
    await page.goto(`/login?return_to=${encodeURIComponent(evil)}`);
    expect(new URL(page.url()).origin).toBe(srv.baseURL);
  });
}

test('sign out', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await openUserMenu(page);
  await expect(page.getByRole('link', { name: 'Developer settings', exact: true })).toHaveAttribute('href', /\/settings\/personal-access-tokens$/);
  await expect(page.getByRole('link', { name: 'Your organizations', exact: true })).toHaveAttribute('href', /\/settings\/organizations$/);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(userMenuButton(page)).toHaveCount(0);
  await page.goto('/settings/organizations');
  await expect(page).toHaveURL(/\/login\?return_to=/);
});

test('mona (a member) gets 404 on organization settings', async ({ page }) => {
  await signIn(page, 'mona');
  // Her organizations list has no "Settings" links.
  await page.goto('/settings/organizations');
  await expect(page.getByRole('heading', { name: 'Organizations', exact: true })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'octo-org' })).not.toHaveCount(0);
  await expect(page.getByRole('listitem').filter({ hasText: /octo-org|solo-org/ })
    .getByRole('link', { name: 'Settings', exact: true })).toHaveCount(0);
  for (const path of [
    orgProfilePath('octo-org'),
    patSettingsPath('octo-org'),
    auditLogPath('octo-org'),
    '/organizations/octo-org/settings/personal-access-token-requests',
    onboardingPath('solo-org'),
    patSettingsPath('solo-org'),
  ]) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(404);
  }
});

test('the organizations list shows each organization with Settings for owners', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto('/settings/organizations');
  for (const org of ['octo-org', 'solo-org']) {
    const item = page.getByRole('listitem').filter({ hasText: new RegExp(`(^|[^\\w-])${org}([^\\w-]|$)`) })
      .filter({ has: page.getByRole('link', { name: 'Settings', exact: true }) });
    await expect(item).toHaveCount(1);
    await expect(item.getByRole('link', { name: 'Settings', exact: true })).toHaveAttribute('href', new RegExp(`${orgProfilePath(org)}$`));
  }
});
