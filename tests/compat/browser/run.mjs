// Drives Debian's Chromium through Skerry's web pages, as people use them, with
// playwright-core. Called by tests/browser.rs with everything it needs in the environment:
//   BASE            the server, http://127.0.0.1:PORT
//   CHROMIUM        the browser binary
//   SCREENSHOTS     a directory for one PNG per page
//   BOSS_PASSWORD   the owner's password (user "boss")
//   AUTHORIZE_URL   an OAuth authorize URL of a registered app (out-of-band redirect)
//   REPORT_ID       an open report to resolve
// Prints "browser: STEP" per step, "code: CODE" (the OAuth code), and "browser: ok" at the end.
import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("BASE");
const shots = env("SCREENSHOTS");
const step = (text) => console.log(`browser: ${text}`);
const assert = (condition, message) => {
  if (!condition) throw new Error(message);
};

// RFC 6238 with the authenticator apps' parameters, from the base32 key the page shows.
function totp(base32, unixSeconds) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of base32) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return value.toString().padStart(6, "0");
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const newbie = await browser.newContext();
  const page = await newbie.newPage();
  const shot = (target, name) => target.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

  // Sign up under approval.
  await page.goto(`${base}/auth/sign_up`);
  await page.getByLabel("Username").fill("newbie");
  await page.getByLabel("E-mail").fill("newbie@example.test");
  await page.getByLabel("Password (8 to 72 characters)").fill("correct horse battery");
  await page.getByLabel("Why do you want to join?").fill("I sail");
  await page.getByLabel("I agree to the server's rules and terms").check();
  await shot(page, "01-sign-up");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("waits for a moderator's approval").waitFor();
  step("signed up, waiting for approval");

  // Not yet: sign-in is refused while pending.
  await page.goto(`${base}/auth/sign_in`);
  await page.getByLabel("Username or e-mail").fill("newbie");
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("pending approval").waitFor();
  step("sign-in refused while pending");

  // The owner approves in the admin pages.
  const boss = await browser.newContext();
  const admin = await boss.newPage();
  await admin.goto(`${base}/auth/sign_in`);
  await admin.getByLabel("Username or e-mail").fill("boss");
  await admin.getByLabel("Password", { exact: true }).fill(env("BOSS_PASSWORD"));
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.goto(`${base}/admin/accounts?status=pending`);
  await admin.getByText("“I sail”").waitFor();
  await shot(admin, "02-admin-pending");
  await admin.getByRole("button", { name: "Approve @newbie" }).click();
  await admin.waitForURL(`${base}/admin/accounts`);
  step("approved by the owner");

  // Sign in, turn on two-factor authentication, sign out, sign in with a code.
  await page.goto(`${base}/auth/sign_in`);
  await page.getByLabel("Username or e-mail").fill("newbie");
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/settings/profile`);
  await page.goto(`${base}/settings/two_factor`);
  await page.getByRole("button", { name: "Set up" }).click();
  const secret = (await page.locator("#totp-secret").textContent()).trim();
  // Codes are per 30-second step and one step of drift is allowed: start early in a step, so
  // that the setup code (one step back) is still good when it is sent.
  if (30 - (Math.floor(Date.now() / 1000) % 30) < 12) {
    await new Promise((done) => setTimeout(done, (30 - (Math.floor(Date.now() / 1000) % 30) + 1) * 1000));
  }
  const now = Math.floor(Date.now() / 1000);
  // One step back for setup, so that sign-in and the OAuth page each get a later, unused
  // step within the one step of drift that codes are allowed.
  await page.getByLabel("Code from the app").fill(totp(secret, now - 30));
  await shot(page, "03-two-factor-setup");
  await page.getByRole("button", { name: "Turn on" }).click();
  await page.getByText("Two-factor authentication is on").waitFor();
  await page.getByRole("button", { name: "Sign out @newbie" }).click();
  await page.waitForURL(`${base}/auth/sign_in`);
  await page.getByLabel("Username or e-mail").fill("newbie");
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  // The code that turned it on is spent: the next step's code signs in.
  await page.getByLabel("Two-factor code (if you turned it on)").fill(totp(secret, now));
  await shot(page, "04-sign-in-totp");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/settings/profile`);
  step("signed in with a TOTP code");

  // Authorize an app through the OAuth page (with the second factor).
  await page.goto(env("AUTHORIZE_URL"));
  await page.getByLabel("Username or e-mail").fill("newbie");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByLabel("Two-factor code (if you turned it on)").fill(totp(secret, now + 30));
  await shot(page, "05-authorize");
  await page.getByRole("button", { name: "Authorize" }).click();
  const code = (await page.locator("#authorization-code").textContent()).trim();
  console.log(`code: ${code}`);
  step("authorized an app");

  // The owner resolves a report and blocks a domain.
  await admin.goto(`${base}/admin/reports`);
  const reportId = env("REPORT_ID");
  await admin.getByLabel(`Note on #${reportId}`).fill("Checked the posts: rude, first time.");
  await admin.getByRole("button", { name: "Add note" }).click();
  await admin.getByText("@boss: Checked the posts").waitFor();
  await shot(admin, "06-reports");
  await admin.getByRole("button", { name: `Resolve #${reportId}` }).click();
  await admin.waitForURL(`${base}/admin/reports`);
  await admin.goto(`${base}/admin/reports?resolved=true`);
  await admin.getByRole("button", { name: `Reopen #${reportId}` }).waitFor();
  step("noted and resolved a report");
  await admin.goto(`${base}/admin/domain_blocks`);
  await admin.getByLabel("Domain", { exact: true }).fill("spam.example");
  await admin.getByLabel("Severity").selectOption("suspend");
  await admin.getByLabel("Private comment").fill("spam wave");
  await admin.getByRole("button", { name: "Block domain" }).click();
  await admin.getByRole("button", { name: "Unblock spam.example" }).waitFor();
  await shot(admin, "07-domain-blocks");
  step("blocked a domain");

  // The storage page: its chart drawn from the database's own figures.
  await admin.goto(`${base}/admin/storage`);
  const bars = await admin.locator("svg.chart rect").count();
  assert(bars >= 5, `the storage chart has ${bars} bars`);
  const title = await admin.locator("svg.chart title").first().textContent();
  assert(title === "Bytes per table", title);
  const statuses = await admin.locator("svg.chart rect title", { hasText: "statusid_status" }).count();
  assert(statuses === 1, "the chart has a bar for statuses");
  const days = await admin.locator("svg.growth circle").count();
  assert(days === 2, `the growth line has ${days} points`);
  await admin.getByRole("cell", { name: "Remote media, hot (disk)" }).waitFor();
  const perDay = await admin.getByRole("row", { name: /Growth per day/ }).textContent();
  assert(/\+[0-9.]+ (B|KiB|MiB)/.test(perDay), perDay);
  await shot(admin, "08-storage");
  step(`storage chart with ${bars} bars and a growth line of ${days} days (${perDay.trim()})`);

  // Rules, announcements, domain allows and settings, each with its own page.
  await admin.goto(`${base}/admin/rules`);
  await admin.getByLabel("New rule").fill("Be kind to boats.");
  await admin.getByLabel("Explanation (optional)").fill("Kayaks are boats too.");
  await admin.getByRole("button", { name: "Add rule" }).click();
  await admin.getByRole("cell", { name: /Be kind to boats\./ }).waitFor();
  await shot(admin, "09-rules");
  step("added a rule");
  await admin.goto(`${base}/admin/announcements`);
  await admin.getByLabel(/^Text/).fill("Maintenance on Sunday.");
  await admin.getByLabel(/Shown for how many hours/).fill("48");
  await admin.getByRole("button", { name: "Publish" }).click();
  await admin.getByRole("cell", { name: "Maintenance on Sunday." }).waitFor();
  await shot(admin, "10-announcements");
  step("published an announcement");
  await admin.goto(`${base}/admin/domain_blocks`);
  await admin.getByLabel("Domain to allow").fill("friends.example");
  await admin.getByRole("button", { name: "Allow domain" }).click();
  await admin.getByRole("button", { name: "Remove the allow of friends.example" }).waitFor();
  await shot(admin, "11-domain-allows");
  step("allowed a domain");
  await admin.goto(`${base}/admin/settings`);
  await admin.getByRole("cell", { name: "instance.registrations" }).waitFor();
  await shot(admin, "12-settings");
  step("read the settings");
  await admin.goto(`${base}/terms`);
  await admin.getByRole("heading", { name: "Terms of service" }).waitFor();
  await shot(admin, "13-terms");
  await page.goto(`${base}/settings/export`);
  await page.getByRole("link", { name: "Accounts you follow" }).waitFor();
  await shot(page, "14-export");
  step("terms page and the export links");
  console.log("browser: ok");
} finally {
  await browser.close();
}
