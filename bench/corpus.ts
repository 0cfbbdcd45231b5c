// A seeded, realistic corpus of DynamoDB Streams records (Lambda shape, one
// JSON text per line) for the benchmarks: the codec benchmark decodes it, the
// replay benchmark writes it into PostgreSQL. Same seed, same lines.
//
// The stream is consistent, as DynamoDB would write it for one table with key
// schema CORPUS_KEY_SCHEMA and view type NEW_AND_OLD_IMAGES: an INSERT creates
// an item that does not exist, a MODIFY or REMOVE hits a live item and carries
// its current image as OldImage, and SequenceNumbers increase. Mix: 50% INSERT,
// 40% MODIFY, 10% REMOVE; MODIFY and REMOVE mostly hit a hot set of a few
// thousand recently written items. (With 50% INSERT and only 10% REMOVE the
// number of distinct keys grows with the corpus: about 45% of the record count.)

import type { KeySchema } from "../src/codec/key-schema.ts";
import type { AttributeMap, AttributeValue } from "../src/codec/types.ts";
import { prng } from "../src/local/prng.ts";

/** The corpus table's key: partition key `pk` (S), sort key `sk` (N). */
export const CORPUS_KEY_SCHEMA: KeySchema = [
  { name: "pk", type: "S" },
  { name: "sk", type: "N" },
];
/** The same key schema as the CLI's --key option writes it. */
export const CORPUS_KEY = "pk:S,sk:N";
export const CORPUS_TABLE = "bench_orders";
/** How many recently written items MODIFY and REMOVE prefer. */
const HOT_ITEMS = 3000;

const WORDS = [
  "alpha",
  "bravo",
  "charlie",
  "delta",
  "echo",
  "foxtrot",
  "golf",
  "hotel",
  "india",
  "juliett",
  "kilo",
  "lima",
  "mike",
  "november",
  "oscar",
  "papa",
  "quebec",
  "romeo",
  "sierra",
  "tango",
  "uniform",
  "victor",
  "whiskey",
  "xray",
  "yankee",
  "zulu",
  "Müller",
  "Łódź",
  "café",
  "naïve",
];
const CITIES = [
  "Berlin",
  "Dornbirn",
  "Zürich",
  "Sydney",
  "São Paulo",
  "Kraków",
  "Seattle",
  "Osaka",
];
const STATUSES = ["NEW", "PAID", "PACKED", "SHIPPED", "DELIVERED", "RETURNED"];
const ACTIONS = ["created", "paid", "packed", "shipped", "delivered", "note"];

class Generator {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = prng(seed);
  }
  random01(): number {
    return this.random();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  words(n: number): string {
    return Array.from({ length: n }, () => this.pick(WORDS)).join(" ");
  }
  decimal(maxInt: number, scale: number): string {
    const cents = this.int(0, maxInt * 10 ** scale);
    const text = (cents / 10 ** scale).toFixed(scale);
    return text;
  }
  iso(epochSeconds: number): string {
    return new Date((epochSeconds - this.int(0, 86_400 * 30)) * 1000).toISOString();
  }
  hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += "0123456789abcdef"[this.int(0, 15)];
    return out;
  }
}

/** The item an application would write: about 10 attributes with nested maps and lists. */
function makeItem(g: Generator, keys: AttributeMap, version: number, now: number): AttributeMap {
  const history: AttributeValue[] = Array.from({ length: g.int(1, 2) }, () => ({
    M: {
      at: { S: g.iso(now) },
      action: { S: g.pick(ACTIONS) },
      amount: { N: g.decimal(500, 2) },
    },
  }));
  const item: AttributeMap = {
    ...keys,
    customer: { S: `${g.words(2)} ${g.int(1, 9999)}` },
    status: { S: g.pick(STATUSES) },
    price: { N: g.decimal(2000, 2) },
    quantity: { N: String(g.int(1, 50)) },
    revision: { N: String(version) },
    gift: { BOOL: g.chance(0.2) },
    coupon: g.chance(0.7) ? { NULL: true } : { S: g.hex(8).toUpperCase() },
    tags: { SS: [...new Set(Array.from({ length: g.int(1, 4) }, () => g.pick(WORDS)))] },
    ratings: { NS: [...new Set(Array.from({ length: g.int(1, 4) }, () => String(g.int(1, 5))))] },
    shipping: {
      M: {
        address: {
          M: {
            street: { S: `${g.int(1, 300)} ${g.words(2)} Street` },
            city: { S: g.pick(CITIES) },
            zip: { S: String(g.int(10000, 99999)) },
            geo: { M: { lat: { N: g.decimal(90, 6) }, lon: { N: `-${g.decimal(180, 6)}` } } },
          },
        },
        express: { BOOL: g.chance(0.3) },
        phones: {
          L: Array.from({ length: g.int(1, 2) }, () => ({
            S: `+49 ${g.int(100, 999)} ${g.int(1000000, 9999999)}`,
          })),
        },
      },
    },
    history: { L: history },
  };
  // One item in ten has a top-level list of mixed types (it goes to `aux`).
  if (g.chance(0.1)) {
    item.extras = {
      L: [
        { S: g.words(1) },
        { N: String(g.int(0, 1000)) },
        { BOOL: g.chance(0.5) },
        { M: { note: { S: g.words(3) } } },
      ],
    };
  }
  return item;
}

/**
 * `n` DynamoDB Streams records (Lambda shape) as JSON text lines, the same for
 * the same seed.
 */
export function generateCorpus(n: number, seed: number): string[] {
  const g = new Generator(seed);
  // Live items keep their image as JSON text: the OldImage of their next
  // change, and far cheaper to hold than objects (50,000 images).
  const live = new Map<string, { keys: string; image: string; version: number }>();
  /** Live item ids, most recently written last; MODIFY / REMOVE prefer the tail. */
  const order: string[] = [];
  let nextItem = 0;
  let sequence = 400_000_000_000_000_000_000n;
  const startSeconds = 1_720_742_633;
  const lines: string[] = [];
  const arn = JSON.stringify(
    `arn:aws:dynamodb:us-east-1:123456789012:table/${CORPUS_TABLE}/stream/2024-07-12T00:00:00.000`,
  );

  const pickLive = (): string => {
    for (;;) {
      // Mostly the hot set of recent items; sometimes any live item.
      const window = g.chance(0.9) ? Math.min(HOT_ITEMS, order.length) : order.length;
      for (let attempt = 0; attempt < 8; attempt++) {
        const id = order[order.length - 1 - g.int(0, window - 1)] as string;
        if (live.has(id)) return id;
      }
      // Too many removed or repeated entries: keep each live id once, at its latest place.
      const seen = new Set<string>();
      const compacted: string[] = [];
      for (let at = order.length - 1; at >= 0; at--) {
        const id = order[at] as string;
        if (live.has(id) && !seen.has(id)) {
          seen.add(id);
          compacted.push(id);
        }
      }
      order.length = 0;
      for (let at = compacted.length - 1; at >= 0; at--) order.push(compacted[at] as string);
    }
  };

  for (let i = 0; i < n; i++) {
    const now = startSeconds + Math.floor(i / 50);
    const roll = g.random01();
    const eventName = roll < 0.5 || live.size === 0 ? "INSERT" : roll < 0.9 ? "MODIFY" : "REMOVE";
    let keys: string;
    let newImage: string | undefined;
    let oldImage: string | undefined;
    if (eventName === "INSERT") {
      const itemNo = nextItem++;
      const keyMap: AttributeMap = {
        pk: { S: `customer-${String(itemNo % 7919).padStart(5, "0")}` },
        sk: { N: String(Math.floor(itemNo / 7919) + 1) },
      };
      keys = JSON.stringify(keyMap);
      newImage = JSON.stringify(makeItem(g, keyMap, 1, now));
      const id = String(itemNo);
      live.set(id, { keys, image: newImage, version: 1 });
      order.push(id);
    } else {
      const id = pickLive();
      const item = live.get(id) as { keys: string; image: string; version: number };
      keys = item.keys;
      oldImage = item.image;
      if (eventName === "MODIFY") {
        newImage = JSON.stringify(
          makeItem(g, JSON.parse(keys) as AttributeMap, item.version + 1, now),
        );
        live.set(id, { keys, image: newImage, version: item.version + 1 });
        order.push(id); // now among the most recent (its older place is dropped lazily)
      } else {
        live.delete(id);
      }
    }
    sequence += BigInt(g.int(1, 5000));
    const sizeBytes = Math.round(((newImage?.length ?? 0) + (oldImage?.length ?? 0)) * 0.6);
    // The Lambda shape of a DynamoDB Streams record, written field by field.
    lines.push(
      `{"eventID":"${g.hex(32)}","eventName":"${eventName}","eventVersion":"1.1","eventSource":"aws:dynamodb",` +
        `"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":${now},"Keys":${keys}` +
        (newImage ? `,"NewImage":${newImage}` : "") +
        (oldImage ? `,"OldImage":${oldImage}` : "") +
        `,"SequenceNumber":"${sequence}","SizeBytes":${sizeBytes},"StreamViewType":"NEW_AND_OLD_IMAGES"},` +
        `"eventSourceARN":${arn}}`,
    );
  }
  return lines;
}
