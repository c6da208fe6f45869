// A small Fedify server: one actor with an RSA and an Ed25519 key, WebFinger (Fedify serves
// it for the actor dispatcher), and inbox listeners that print each activity Fedify verified
// and answer a Follow with an Accept.
//
//   node inbox.mjs PORT [USERNAME]
//
// Listens on 127.0.0.1:PORT and prints `{"listening":...}`, then one JSON line per verified
// activity (`{"received":"Follow",...}`), one per unverified one (`{"unverified":...}`) and
// per error. A Follow is answered with an Accept; a Create of a Note with a public reply that
// mentions the note's author (served at `/notes/{id}`). Exits 0 once it has received a
// Follow and a Create and sent both answers, or exits 1 after 60 s.

import http from "node:http";

import { Temporal } from "@js-temporal/polyfill";
import { MemoryKvStore, createFederation, generateCryptoKeyPair } from "@fedify/fedify";
import { Accept, Activity, Create, Endpoints, Follow, Mention, Note, PUBLIC_COLLECTION, Person } from "@fedify/vocab";

const port = Number(process.argv[2]);
const username = process.argv[3] ?? "fedify";
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node inbox.mjs PORT [USERNAME]");
  process.exit(2);
}
const DEADLINE_MS = 60_000;

function report(line) {
  console.log(JSON.stringify(line));
}

// Every POST Fedify sends (the Accept) is reported with the signature scheme it used and the
// answer: Fedify knocks first with RFC 9421 and falls back to draft-cavage on a 4xx.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = new Request(input, init);
  const response = await realFetch(request.clone());
  if (request.method === "POST") {
    report({
      posted: request.url,
      signature: request.headers.has("signature-input") ? "rfc9421" : request.headers.has("signature") ? "draft-cavage" : "none",
      status: response.status,
    });
  }
  return response;
};

const keyPairs = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];

const federation = createFederation({
  kv: new MemoryKvStore(),
  // Loopback peers only: this is a test server.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== username) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify test actor",
      summary: "A Fedify 2.3.6 server driven by Skerry's tests.",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      url: ctx.getActorUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === username ? keyPairs : []));

const notes = new Map();
federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, values) => notes.get(values.id) ?? null);

const seen = { follow: false, accepted: false, create: false, replied: false };
function maybeDone() {
  if (seen.follow && seen.accepted && seen.create && seen.replied) {
    report({ done: true });
    // Let the last response reach Skerry before leaving.
    setTimeout(() => process.exit(0), 500);
  }
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    report({
      received: "Follow",
      verified: true,
      id: follow.id?.href,
      actor: follow.actorId?.href,
      object: follow.objectId?.href,
    });
    seen.follow = true;
    if (follow.objectId?.href !== ctx.getActorUri(username).href || follow.actorId == null) return;
    const follower = await follow.getActor(ctx);
    if (follower == null) {
      report({ error: "could not fetch the follower", actor: follow.actorId.href });
      return;
    }
    await ctx.sendActivity(
      { identifier: username },
      follower,
      new Accept({
        id: new URL(`#accepts/${crypto.randomUUID()}`, ctx.getActorUri(username)),
        actor: ctx.getActorUri(username),
        object: follow,
      }),
    );
    report({ sent: "Accept", to: follower.inboxId?.href, follow: follow.id?.href });
    seen.accepted = true;
    maybeDone();
  })
  .on(Create, async (ctx, create) => {
    const object = await create.getObject(ctx);
    report({
      received: "Create",
      verified: true,
      id: create.id?.href,
      actor: create.actorId?.href,
      object: object?.id?.href,
      objectType: object?.constructor?.name,
      attributedTo: object?.attributionId?.href,
      content: object instanceof Note ? object.content?.toString() : undefined,
      mentions: create.ccIds.concat(create.toIds).map((id) => id.href),
    });
    seen.create = true;
    if (object instanceof Note && object.id != null && object.attributionId != null) {
      const author = await object.getAttribution(ctx);
      if (author == null) {
        report({ error: "could not fetch the author", actor: object.attributionId.href });
        return;
      }
      const id = crypto.randomUUID();
      const noteId = ctx.getObjectUri(Note, { id });
      const actorId = ctx.getActorUri(username);
      const mention = `@${author.preferredUsername}@${author.id.host}`;
      const reply = new Note({
        id: noteId,
        attribution: actorId,
        to: PUBLIC_COLLECTION,
        ccs: [author.id],
        replyTarget: object.id,
        content: `<p><span class="h-card"><a href="${author.url?.href ?? author.id.href}" class="u-url mention">${mention}</a></span> hello back from fedify</p>`,
        tags: [new Mention({ href: author.id, name: mention })],
        published: Temporal.Now.instant(),
      });
      notes.set(id, reply);
      const create = new Create({
        id: new URL(`${noteId.href}#activity`),
        actor: actorId,
        object: reply,
        to: PUBLIC_COLLECTION,
        ccs: [author.id],
        published: reply.published,
      });
      await ctx.sendActivity({ identifier: username }, author, create);
      report({
        sent: "Create",
        note: noteId.href,
        inReplyTo: object.id.href,
        to: author.inboxId?.href,
        json: await create.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
      });
      seen.replied = true;
    }
    maybeDone();
  })
  .on(Activity, async (_ctx, activity) => {
    report({
      received: activity.constructor.name,
      verified: true,
      id: activity.id?.href,
      actor: activity.actorId?.href,
      object: activity.objectId?.href,
    });
  })
  .onUnverifiedActivity(async (_ctx, activity, reason) => {
    report({
      unverified: activity.constructor.name,
      id: activity.id?.href,
      actor: activity.actorId?.href,
      reason: reason?.type ?? String(reason),
    });
  })
  .onError(async (_ctx, error) => {
    report({ error: String(error?.stack ?? error) });
  });

// Node's http server adapted to the Fetch API that `federation.fetch` takes.
const server = http.createServer(async (incoming, outgoing) => {
  try {
    const chunks = [];
    let size = 0;
    for await (const chunk of incoming) {
      size += chunk.length;
      if (size > 1024 * 1024) {
        outgoing.writeHead(413).end();
        return;
      }
      chunks.push(chunk);
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else if (value != null) headers.set(name, value);
    }
    const method = incoming.method ?? "GET";
    const request = new Request(`http://${incoming.headers.host ?? `127.0.0.1:${port}`}${incoming.url}`, {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : Buffer.concat(chunks),
    });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("Not found", { status: 404 }),
      onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
    });
    report({ request: `${method} ${incoming.url}`, status: response.status });
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    report({ error: String(error?.stack ?? error) });
    if (!outgoing.headersSent) outgoing.writeHead(500);
    outgoing.end();
  }
});

server.listen(port, "127.0.0.1", () => {
  report({ listening: `http://127.0.0.1:${port}`, actor: `http://127.0.0.1:${port}/users/${username}` });
});

setTimeout(() => {
  report({ timeout: DEADLINE_MS, seen });
  process.exit(1);
}, DEADLINE_MS).unref();
