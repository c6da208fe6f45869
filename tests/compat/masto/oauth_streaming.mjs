// masto.js (npm `masto`, a Mastodon client library nobody here wrote) against a running
// Skerry: app registration, the OAuth authorization-code flow through Skerry's login page,
// then WebSocket streaming (user, hashtag, list, direct on one socket) while the REST client
// posts. Prints one JSON line per step; exits non-zero on any mismatch.
//
// Usage: node oauth_streaming.mjs BASE_URL USERNAME PASSWORD
import assert from "node:assert/strict";
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from "masto";

const [base, username, password] = process.argv.slice(2);
const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }));
const REDIRECT = "urn:ietf:wg:oauth:2.0:oob";
const SCOPES = "read write follow push";

const anonymous = createRestAPIClient({ url: base });
const app = await anonymous.v1.apps.create({
  clientName: "skerry-masto-compat",
  redirectUris: REDIRECT,
  scopes: SCOPES,
});
assert.ok(app.clientId && app.clientSecret);
step("app registered");

// The authorization page, filled in as a person would.
const authorize = new URL("/oauth/authorize", base);
authorize.search = new URLSearchParams({
  response_type: "code",
  client_id: app.clientId,
  redirect_uri: REDIRECT,
  scope: SCOPES,
}).toString();
const page = await (await fetch(authorize)).text();
const fields = Object.fromEntries(
  [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
    m[1],
    m[2].replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'"),
  ]),
);
Object.assign(fields, { login: username, password, decision: "approve" });
const answer = await fetch(new URL("/oauth/authorize", base), {
  method: "POST",
  body: new URLSearchParams(fields),
  redirect: "manual",
});
const code = (await answer.text()).match(/id="authorization-code">([^<]+)</)?.[1];
assert.ok(code, `no code on the out-of-band page (${answer.status})`);
const token = await createOAuthAPIClient({ url: base }).token.create({
  grantType: "authorization_code",
  clientId: app.clientId,
  clientSecret: app.clientSecret,
  redirectUri: REDIRECT,
  code,
  scope: SCOPES,
});
assert.ok(token.accessToken);
const rest = createRestAPIClient({ url: base, accessToken: token.accessToken });
const me = await rest.v1.accounts.verifyCredentials();
assert.equal(me.username, username);
step("logged in through the OAuth code flow", { id: me.id });

const instance = await rest.v2.instance.fetch();
const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken: token.accessToken,
});
const list = await rest.v1.lists.create({ title: "masto" });

// masto sends a subscription when its iterator starts: each one is read from now on into
// a buffer, and `waitFor` looks through it.
function collect(subscription) {
  const events = [];
  (async () => {
    for await (const event of subscription) events.push(event);
  })().catch((error) => events.push({ event: "error", payload: String(error) }));
  return events;
}

async function waitFor(events, wanted, name) {
  for (let round = 0; round < 100; round++) {
    const found = events.find(wanted);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${name} event in time; got ${JSON.stringify(events.map((e) => e.event))}`);
}

const user = collect(streaming.user.subscribe());
const hashtag = collect(streaming.hashtag.subscribe({ tag: "mastojs" }));
const direct = collect(streaming.direct.subscribe());
const listed = collect(streaming.list.subscribe({ list: list.id }));
// Subscriptions are sent once the socket opens; give the server a moment to register them.
await new Promise((resolve) => setTimeout(resolve, 1000));
assert.deepEqual(listed.filter((e) => e.event === "error"), [], "the owner may stream a list");

const posted = await rest.v1.statuses.create({ status: "hello from masto.js #mastojs" });
const update = await waitFor(user, (e) => e.event === "update" && e.payload.id === posted.id, "user update");
assert.equal(update.payload.account.id, me.id);
assert.match(update.payload.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const tagged = await waitFor(hashtag, (e) => e.event === "update" && e.payload.id === posted.id, "hashtag update");
assert.deepEqual(tagged.stream, ["hashtag", "mastojs"]);
step("user and hashtag streams", { status: posted.id });

await rest.v1.statuses.$select(posted.id).update({ status: "edited by masto.js #mastojs" });
const edited = await waitFor(user, (e) => e.event === "status.update" && e.payload.id === posted.id, "status.update");
assert.match(edited.payload.content, /edited by masto\.js/);
step("status.update");

const dm = await rest.v1.statuses.create({ status: `@${username} note to self`, visibility: "direct" });
const conversation = await waitFor(direct, (e) => e.event === "conversation", "conversation");
assert.equal(conversation.payload.lastStatus.id, dm.id);
step("direct stream: conversation");

await rest.v1.statuses.$select(posted.id).remove();
const deleted = await waitFor(user, (e) => e.event === "delete" && e.payload === posted.id, "delete");
assert.equal(deleted.payload, posted.id);
step("delete");

// The list stream was accepted (an error would have ended its iterator with an event).
assert.deepEqual(listed.filter((e) => e.event === "error"), []);
streaming.close();
await rest.v1.lists.$select(list.id).remove();
step("ok");
process.exit(0);
