// Drives the meshfed dashboard in the system's headless Chromium (playwright-core launches the
// executable it is given; it downloads nothing). Run by PlaygroundTest against its stack:
//
//   node dashboard-check.mjs CHROMIUM URL SCREENSHOT
//
// Protocol on stdout/stdin, one line each: prints READY once the page is live and shows both
// clusters and tier 0 active for mgmt-cluster; then reads "EXPECT <epoch>" (the failover
// decision the query API now has) and prints "OK <ms>" once the page shows tier 1 active for
// mgmt-cluster and that decision, or "FAIL <why>" if it does not within 2 s.
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const [executablePath, url, screenshot] = process.argv.slice(2);
const CLIENT = 'mgmt-cluster';

function fail(why) {
  console.log('FAIL ' + why.replace(/\s+/g, ' '));
  process.exitCode = 1;
}

const browser = await chromium.launch({ executablePath, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', e => console.error('page error: ' + e.message));
  await page.goto(url);
  // Generous for the first snapshot: a loaded machine, a cold JIT.
  await page.locator('#connection.live').waitFor({ timeout: 60000 });
  for (const cluster of ['mgmt-cluster', 'remote-cluster']) {
    await page.locator(`#clusters tr[data-cluster="${cluster}"] td.healthy`)
      .waitFor({ timeout: 60000 });
  }
  const active = page.locator(
    `.destination[data-destination="FailoverService/service-mesh-hub/reviews-failover"] tr[data-client="${CLIENT}"] td.active-tier`);
  await page.waitForFunction(el => el && el.textContent === 'tier 0',
    await active.elementHandle({ timeout: 60000 }), { timeout: 60000 });
  console.log('READY');

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const m = /^EXPECT (\d+)$/.exec(line.trim());
    if (!m) continue;
    const started = Date.now();
    try {
      await page.waitForFunction(epoch => {
        const cell = document.querySelector(
          '.destination[data-destination="FailoverService/service-mesh-hub/reviews-failover"] tr[data-client="mgmt-cluster"] td.active-tier');
        const row = document.querySelector(
          `#decisions tr[data-client="mgmt-cluster"][data-epoch="${epoch}"] td.reason`);
        return cell && cell.textContent === 'tier 1' && row
          && row.textContent.startsWith('TIER_UNHEALTHY');
      }, m[1], { timeout: 2000, polling: 50 });
      const ms = Date.now() - started;
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log('OK ' + ms);
    } catch (e) {
      await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
      fail('the page did not show tier 1 and decision ' + m[1] + ' within 2 s: ' + e.message);
    }
    break;
  }
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
