// What the demo does to its DynamoDB table: inserts, updates, overwrites,
// deletes and one TTL-style delete, on items with numbers of many digits (a
// 20-digit sort key too), nested maps and lists, sets, binary values and
// attributes whose type differs between items: the cases a replica gets
// wrong first.

import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

/** The TTL attribute of the demo table (epoch seconds, as DynamoDB's TTL wants). */
export const DEMO_TTL_ATTRIBUTE = "expiresAt";

export interface DemoWriteCounts {
  inserts: number;
  updates: number;
  overwrites: number;
  deletes: number;
  ttlDeletes: number;
}

const CUSTOMERS = [
  "Ada Lovelace",
  "Grace Hopper",
  "Alan Turing",
  "Edsger Dijkstra",
  "Barbara Liskov",
  "Donald Knuth",
  "Frances Allen",
];
const CITIES = ["Dornbirn", "Zürich", "São Paulo", "Kraków", "Osaka", "Berlin"];
const TAGS = ["gift", "express", "fragile", "bulk", "café", "naïve"];
/** Numbers a double can not hold: 38 significant digits, and the ends of DynamoDB's range. */
const LONG_NUMBERS = [
  "12345678901234567890.123456789012345678",
  "99999999999999999999999999999999999999",
  "0.00000000000000000000000000000000000123",
  "-1.2345678901234567890123456789012345678E+100",
  "1E-130",
  "9.9999999999999999999999999999999999999E+125",
];

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: string | number): AttributeValue => ({ N: String(value) });

/**
 * The sort key: a 20-digit number, more than a double holds exactly (CrateDB
 * keeps it in a NUMERIC(38, 0) key column).
 */
export function orderSeq(i: number): string {
  return (12345678901234567890n + BigInt(i)).toString();
}

/** The key of order i. */
function key(i: number): Record<string, AttributeValue> {
  return { id: s(orderId(i)), seq: n(orderSeq(i)) };
}

/**
 * An attribute whose type differs between items, as in single-table designs:
 * a number, a string, a map, a list of maps whose members differ in type.
 */
function note(i: number): AttributeValue {
  switch (i % 4) {
    case 0:
      return n(i);
    case 1:
      return s(`call before delivery ${i}`);
    case 2:
      return { M: { code: n(i), by: s("support") } };
    default:
      return { L: [{ M: { code: s(`C${i}`) } }, { M: { code: n(i) } }] };
  }
}

function order(i: number): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    ...key(i),
    note: note(i),
    customer: s(CUSTOMERS[i % CUSTOMERS.length] as string),
    status: s("NEW"),
    quantity: n(1 + (i % 4)),
    price: n(((i * 1337) % 10000) / 100),
    total: n(LONG_NUMBERS[i % LONG_NUMBERS.length] as string),
    tags: { SS: [TAGS[i % TAGS.length] as string, TAGS[(i + 2) % TAGS.length] as string] },
    ratings: { NS: [String(1 + (i % 5)), "4.5", "1E+30"] },
    gift: { BOOL: i % 3 === 0 },
    coupon: i % 4 === 0 ? s(`SAVE${i}`) : { NULL: true },
    address: {
      M: {
        city: s(CITIES[i % CITIES.length] as string),
        // A number in some items, text in others, one level down.
        floor: i % 2 === 0 ? n(i % 9) : s("ground"),
        geo: {
          M: { lat: n(`47.41${i}`), lon: n(`9.74${i}`), alt: n("437.000000000000000000000000001") },
        },
      },
    },
    lines: {
      L: [
        { M: { sku: s(`SKU-${i}`), qty: n(1), unit: n("19.99") } },
        { M: { sku: s(`SKU-${i + 100}`), qty: n(2), unit: n("0.1") } },
      ],
    },
    receipt: { B: new Uint8Array([0xde, 0xad, 0xbe, 0xef, i]) },
  };
  // A top-level list of mixed types: it lands in the `aux` column.
  if (i % 5 === 0) item.history = { L: [s("created"), n(i), { BOOL: true }] };
  if (i % 7 === 0) item.photos = { BS: [new Uint8Array([1, 2, i]), new Uint8Array([3, 4, i])] };
  return item;
}

export function orderId(i: number): string {
  return `order-${String(i).padStart(3, "0")}`;
}

/** Writes the demo's changes one after the other; returns how many of each. */
export async function writeDemoChanges(
  client: DynamoDBClient,
  tableName: string,
): Promise<DemoWriteCounts> {
  const counts: DemoWriteCounts = {
    inserts: 0,
    updates: 0,
    overwrites: 0,
    deletes: 0,
    ttlDeletes: 0,
  };
  const put = (item: Record<string, AttributeValue>) =>
    client.send(new PutItemCommand({ TableName: tableName, Item: item }));

  for (let i = 1; i <= 28; i++) {
    const item = order(i);
    // One trial order whose TTL ran out an hour ago.
    if (i === 28) item[DEMO_TTL_ATTRIBUTE] = n(Math.floor(Date.now() / 1000) - 3600);
    // One that expires tomorrow: it stays.
    if (i === 27) item[DEMO_TTL_ATTRIBUTE] = n(Math.floor(Date.now() / 1000) + 86_400);
    await put(item);
    counts.inserts++;
  }
  for (let i = 1; i <= 8; i++) {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key(i),
        UpdateExpression:
          "SET #status = :paid, #lines = list_append(#lines, :more), #address.#geo.#lat = :lat ADD #quantity :one, #tags :tag REMOVE #coupon",
        ExpressionAttributeNames: {
          "#status": "status",
          "#lines": "lines",
          "#address": "address",
          "#geo": "geo",
          "#lat": "lat",
          "#quantity": "quantity",
          "#tags": "tags",
          "#coupon": "coupon",
        },
        ExpressionAttributeValues: {
          ":paid": s("PAID"),
          ":more": { L: [{ M: { sku: s("SKU-GIFTWRAP"), qty: n(1), unit: n("2.50") } }] },
          ":lat": n("47.123456789012345678901234567890123456"),
          ":one": n(1),
          ":tag": { SS: ["paid"] },
        },
      }),
    );
    counts.updates++;
  }
  // A put over an existing item is a MODIFY with a whole new image.
  await put({
    ...key(9),
    customer: s("Niklaus Wirth"),
    status: s("REPLACED"),
    total: n("-0.5"),
  });
  counts.overwrites++;
  for (const i of [10, 11, 12]) {
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: key(i) }));
    counts.deletes++;
  }
  // DynamoDB Local never expires items: this delete stands in for TTL's, and
  // the bridge marks it as DynamoDB marks TTL deletes.
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: key(28) }));
  counts.ttlDeletes++;
  return counts;
}
