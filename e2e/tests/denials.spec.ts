// A call the policy refuses says why: Octokit, GitHub's own JavaScript client, gets
// the rule's sentence as its error message and the rule's id in the
// X-Patpolicy-Decision header; the token's page says the same to its owner, with
// JavaScript or without.
import { Octokit } from '@octokit/rest';
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import { REPO_ACCESS, createClassicToken, createFineGrainedToken, expectNoAxeViolations, screenshotsAt, signIn } from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

const ORG = 'octo-org';
const PENDING =
  "`octo-org` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval.";
const CLASSIC =
  '`Octo Enterprise` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.';

/** The error Octokit throws for a call it was refused, with status, message and headers. */
interface Refusal {
  status: number;
  message: string;
  response: { headers: Record<string, string>; data: { message: string } };
}

async function refusalOf(call: Promise<unknown>): Promise<Refusal> {
  let caught: unknown;
  try {
    await call;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'the call should have been refused').toBeTruthy();
  return caught as Refusal;
}

let classicPath = '';

test('a pending request is refused with its reason and rule, through Octokit', async ({ page }) => {
  await signIn(page, 'mona');
  const { secret } = await createFineGrainedToken(page, {
    name: 'denied-reader', owner: ORG, justification: 'Reads the API repository',
    selection: REPO_ACCESS.selected, repos: ['octo-api'], permissions: { Contents: 'Read-only' },
  });
  const octokit = new Octokit({ auth: secret, baseUrl: srv.url('/api/v3') });
  const err = await refusalOf(octokit.rest.repos.get({ owner: ORG, repo: 'octo-api' }));
  expect(err.status).toBe(403);
  expect(err.response.data.message).toBe(PENDING);
  expect(err.message).toContain(PENDING);
  expect(err.response.headers['x-patpolicy-decision']).toBe('request_pending');
  // A public repository answers any valid token, and names no rule.
  const open = await octokit.rest.repos.get({ owner: ORG, repo: 'octo-web' });
  expect(open.status).toBe(200);
  expect(open.headers['x-patpolicy-decision']).toBeUndefined();
});

test("a classic token the enterprise restricts is refused, and its page says why", async ({ page }) => {
  await signIn(page, 'mona');
  const created = await createClassicToken(page, { note: 'old-script', expiration: '30 days', scopes: ['repo'] });
  classicPath = created.path;
  const octokit = new Octokit({ auth: created.secret, baseUrl: srv.url('/api/v3') });
  const err = await refusalOf(octokit.rest.repos.get({ owner: ORG, repo: 'octo-api' }));
  expect(err.status).toBe(403);
  expect(err.response.data.message).toBe(CLASSIC);
  expect(err.response.headers['x-patpolicy-decision']).toBe('classic_restricted');

  await page.goto(classicPath);
  const main = page.getByRole('main');
  await expect(main).toContainText("Blocked by octo-org's policy");
  await expect(main).toContainText(CLASSIC);
  await expect(main).toContainText('X-Patpolicy-Decision: classic_restricted');
  await expectNoAxeViolations(page, 'a blocked classic token');
  await screenshotsAt(page, 'denials-classic-token');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test("the token's page says why", async ({ page }) => {
    await signIn(page, 'mona');
    await page.goto(classicPath);
    await expect(page.getByRole('main')).toContainText(CLASSIC);
  });
});
