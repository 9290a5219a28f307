import { defineConfig } from '@playwright/test';

// Browsers cannot be downloaded on this machine: use Debian's Chromium.
const chromiumPath = process.env.PATPOLICY_E2E_CHROMIUM || '/usr/bin/chromium';

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  globalSetup: require.resolve('./global-setup'),
  // Each spec file starts its own server (see server.ts); files run in parallel,
  // tests inside a file run in order.
  fullyParallel: false,
  workers: 2,
  // One more try for a test that fails: the report lists it as flaky, so a
  // flaky test is seen, but a run on a busy machine does not fail on a
  // timing fluke alone. A test that fails twice fails the run.
  retries: 1,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 7_000 },
  forbidOnly: !!process.env.CI,
  use: {
    browserName: 'chromium',
    headless: true,
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
