// Fedify's client side against a running Skerry: lookupObject on the actor (by acct: through
// WebFinger, and by URL) with its `Emoji` tags, its outbox and first page, and a Note by URL;
// once unsigned and once with requests signed by Fedify's authenticated document loader.
//
//   node lookup.mjs BASE_URL USERNAME STATUS_URL
//
// Prints one JSON line per document found, then `{"lookup":"ok"}`; exits 1 on any mismatch.
// Network: only BASE_URL (loopback); every request is bounded by a 20 s abort signal.

import { generateCryptoKeyPair, getAuthenticatedDocumentLoader, getDocumentLoader } from "@fedify/fedify";
import { Create, Emoji, Note, OrderedCollection, Person, lookupObject, traverseCollection } from "@fedify/vocab";

const [baseUrl, username, statusUrl] = process.argv.slice(2);
if (!baseUrl || !username || !statusUrl) {
  console.error("usage: node lookup.mjs BASE_URL USERNAME STATUS_URL");
  process.exit(2);
}
const base = new URL(baseUrl);

// Fedify asks WebFinger for `acct:` resources over https only (RFC 7033 §4). The test
// server speaks plain http on loopback, so this one request is sent as http instead. Nothing
// else is rewritten: every other URL Fedify fetches is one Skerry handed out.
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (url.protocol === "https:" && url.host === base.host && url.pathname === "/.well-known/webfinger") {
    url.protocol = base.protocol;
    return realFetch(url, init);
  }
  return realFetch(input, init);
};

let failures = 0;
function report(line) {
  console.log(JSON.stringify(line));
}
function check(what, condition, detail) {
  if (!condition) {
    failures += 1;
    report({ mismatch: what, detail });
  }
}

const signal = () => AbortSignal.timeout(20_000);
const expectedActor = new URL(`/users/${username}`, base).href;

async function run(variant, documentLoader) {
  const options = { documentLoader, allowPrivateAddress: true, signal: signal() };

  for (const identifier of [`acct:${username}@${base.host}`, expectedActor]) {
    const actor = await lookupObject(identifier, options);
    check(`${variant} ${identifier} is a Person`, actor instanceof Person, actor?.constructor?.name);
    if (!(actor instanceof Person)) continue;
    const key = await actor.getPublicKey({ documentLoader });
    // Custom emojis of the display name and bio, as Fedify reads the actor's `Emoji` tags.
    const emojis = [];
    for await (const tag of actor.getTags({ documentLoader })) {
      if (!(tag instanceof Emoji)) continue;
      const icon = await tag.getIcon({ documentLoader });
      const url = icon?.url instanceof URL ? icon.url.href : icon?.url?.href?.href;
      emojis.push({ id: tag.id?.href, name: tag.name?.toString(), mediaType: icon?.mediaType, url });
    }
    report({
      variant,
      lookup: identifier,
      type: "Person",
      id: actor.id?.href,
      preferredUsername: actor.preferredUsername?.toString(),
      inbox: actor.inboxId?.href,
      outbox: actor.outboxId?.href,
      sharedInbox: actor.endpoints?.sharedInbox?.href,
      publicKey: key?.id?.href,
      publicKeyOwner: key?.ownerId?.href,
      emojis,
    });
    check(`${variant} actor id`, actor.id?.href === expectedActor, actor.id?.href);
    check(`${variant} preferredUsername`, actor.preferredUsername?.toString() === username, actor.preferredUsername);
    check(`${variant} publicKey id`, key?.id?.href === `${expectedActor}#main-key`, key?.id?.href);
    check(`${variant} publicKey owner`, key?.ownerId?.href === expectedActor, key?.ownerId?.href);
    check(`${variant} publicKey is RSA`, key?.publicKey?.algorithm?.name === "RSASSA-PKCS1-v1_5", key?.publicKey?.algorithm);
  }

  const actor = await lookupObject(expectedActor, options);
  const outbox = actor instanceof Person ? await actor.getOutbox({ documentLoader }) : null;
  check(`${variant} outbox is an OrderedCollection`, outbox instanceof OrderedCollection, outbox?.constructor?.name);
  if (outbox instanceof OrderedCollection) {
    const items = [];
    // Bounded: the test posted one status; a runaway `next` chain stops at 100 items.
    for await (const item of traverseCollection(outbox, { documentLoader })) {
      items.push(item);
      if (items.length >= 100) break;
    }
    const creates = items.filter((item) => item instanceof Create);
    const notes = [];
    for (const create of creates) notes.push(await create.getObject({ documentLoader }));
    report({
      variant,
      lookup: outbox.id?.href,
      type: "OrderedCollection",
      totalItems: outbox.totalItems,
      items: items.map((item) => item.constructor.name),
      notes: notes.map((note) => note?.id?.href),
    });
    check(`${variant} outbox totalItems`, outbox.totalItems === 1, outbox.totalItems);
    check(`${variant} outbox holds the Create of the status`, notes.some((note) => note?.id?.href === statusUrl), notes.map((n) => n?.id?.href));
  }

  const note = await lookupObject(statusUrl, options);
  check(`${variant} status is a Note`, note instanceof Note, note?.constructor?.name);
  if (note instanceof Note) {
    report({
      variant,
      lookup: statusUrl,
      type: "Note",
      id: note.id?.href,
      attributedTo: note.attributionId?.href,
      content: note.content?.toString(),
      to: note.toIds.map((id) => id.href),
      published: note.published?.toString(),
    });
    check(`${variant} note id`, note.id?.href === statusUrl, note.id?.href);
    check(`${variant} note attributedTo`, note.attributionId?.href === expectedActor, note.attributionId?.href);
    check(`${variant} note is public`, note.toIds.some((id) => id.href === "https://www.w3.org/ns/activitystreams#Public"), note.toIds);
    check(`${variant} note content`, note.content?.toString().includes("hello from skerry"), note.content?.toString());
  }
}

try {
  await run("unsigned", getDocumentLoader({ allowPrivateAddress: true }));
  // Signed GETs: Skerry does not check signatures on GET yet, so the key id is never
  // dereferenced; this shows that signed fetches (as Fedify servers send them) are answered.
  const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const keyId = new URL("http://127.0.0.1:9/fedify-lookup#main-key");
  await run("signed", getAuthenticatedDocumentLoader({ keyId, privateKey }, { allowPrivateAddress: true }));
} catch (error) {
  failures += 1;
  report({ error: String(error?.stack ?? error) });
}
if (failures > 0) {
  report({ lookup: "failed", failures });
  process.exit(1);
}
report({ lookup: "ok" });
