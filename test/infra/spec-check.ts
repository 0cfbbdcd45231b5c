// Checks a CloudFormation template against the resource specification in
// @aws-cdk/aws-service-spec (the database aws-cdk-lib's L1 classes are
// generated from): every resource type exists, every property and nested
// property is known and of the right type, required properties are present,
// and every Fn::GetAtt names an attribute the resource has. Intrinsic
// functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) stand for values known
// only at deployment, so they pass wherever a primitive is expected.

import type { PropertyType, SpecDatabase, TypeDefinition } from "@aws-cdk/service-spec-types";

type Json = unknown;
type Properties = Record<string, { type: PropertyType; required?: boolean }>;

const RESOURCE_KEYS = new Set([
  "Type",
  "Properties",
  "DependsOn",
  "DeletionPolicy",
  "UpdateReplacePolicy",
  "Metadata",
  "Condition",
  "CreationPolicy",
  "UpdatePolicy",
]);
const POLICIES = new Set(["Delete", "Retain", "Snapshot", "RetainExceptOnCreate"]);

function isIntrinsic(value: Json): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || (keys[0] as string).startsWith("Fn::"));
}

export class SpecChecker {
  constructor(private readonly db: SpecDatabase) {}

  /** Every problem of the template, as `LogicalId.Path: problem`; empty when it conforms. */
  check(template: { Resources?: Record<string, Record<string, Json>> }): string[] {
    const problems: string[] = [];
    const resources = template.Resources ?? {};
    const typeOf = new Map(Object.entries(resources).map(([id, r]) => [id, String(r.Type)]));
    for (const [id, resource] of Object.entries(resources)) {
      const type = String(resource.Type);
      for (const key of Object.keys(resource)) {
        if (!RESOURCE_KEYS.has(key)) problems.push(`${id}: unknown resource attribute ${key}`);
      }
      for (const key of ["DeletionPolicy", "UpdateReplacePolicy"]) {
        if (resource[key] !== undefined && !POLICIES.has(String(resource[key])))
          problems.push(`${id}.${key}: ${JSON.stringify(resource[key])} is not a policy`);
      }
      if (type.startsWith("Custom::") || type === "AWS::CloudFormation::CustomResource") continue;
      const spec = this.db.lookup("resource", "cloudFormationType", "equals", type);
      if (spec.length !== 1) {
        problems.push(`${id}: resource type ${type} does not exist`);
        continue;
      }
      const definition = spec[0] as { properties: Properties };
      this.object(resource.Properties ?? {}, definition.properties, `${id}.Properties`, problems);
    }
    this.getAtts(template, typeOf, problems);
    return problems;
  }

  private object(value: Json, properties: Properties, path: string, problems: string[]): void {
    if (isIntrinsic(value)) return;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`${path}: expected an object, got ${JSON.stringify(value)}`);
      return;
    }
    const given = value as Record<string, Json>;
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && given[name] === undefined)
        problems.push(`${path}.${name}: required, missing`);
    }
    for (const [name, item] of Object.entries(given)) {
      const property = properties[name];
      if (!property) {
        problems.push(`${path}.${name}: unknown property`);
        continue;
      }
      const problem = this.value(item, property.type, `${path}.${name}`);
      if (problem) problems.push(...problem);
    }
  }

  /** Problems of `value` as `type`; undefined when it fits. */
  private value(value: Json, type: PropertyType, path: string): string[] | undefined {
    if (isIntrinsic(value)) return undefined;
    const wrong = (expected: string) => [
      `${path}: expected ${expected}, got ${JSON.stringify(value)?.slice(0, 80)}`,
    ];
    switch (type.type) {
      case "string":
      case "date-time":
        if (typeof value !== "string") return wrong("a string");
        if (type.type === "string" && type.allowedValues && !type.allowedValues.includes(value))
          return wrong(`one of ${type.allowedValues.join(", ")}`);
        return undefined;
      case "number":
        return typeof value === "number" ? undefined : wrong("a number");
      case "integer":
        return typeof value === "number" && Number.isInteger(value)
          ? undefined
          : wrong("an integer");
      case "boolean":
        return typeof value === "boolean" ? undefined : wrong("a boolean");
      case "json":
        return undefined;
      case "null":
        return value === null ? undefined : wrong("null");
      case "tag": {
        const tag = value as { Key?: unknown; Value?: unknown };
        return typeof tag === "object" && tag !== null && typeof tag.Key === "string"
          ? undefined
          : wrong("a tag {Key, Value}");
      }
      case "array": {
        if (!Array.isArray(value)) return wrong("a list");
        const problems = value.flatMap(
          (item, i) => this.value(item, type.element, `${path}[${i}]`) ?? [],
        );
        return problems.length > 0 ? problems : undefined;
      }
      case "map": {
        if (typeof value !== "object" || value === null || Array.isArray(value))
          return wrong("a map");
        const problems = Object.entries(value).flatMap(
          ([key, item]) => this.value(item, type.element, `${path}.${key}`) ?? [],
        );
        return problems.length > 0 ? problems : undefined;
      }
      case "union": {
        const attempts = type.types.map((t) => this.value(value, t, path));
        return attempts.some((a) => a === undefined) ? undefined : attempts[0];
      }
      case "ref": {
        const definition = this.db.get("typeDefinition", type.reference) as TypeDefinition;
        const problems: string[] = [];
        this.object(value, definition.properties as Properties, path, problems);
        return problems.length > 0 ? problems : undefined;
      }
      default:
        return [`${path}: the specification has a type this check does not know`];
    }
  }

  private getAtts(template: Json, typeOf: Map<string, string>, problems: string[]): void {
    const visit = (node: Json, path: string): void => {
      if (Array.isArray(node)) {
        for (const [i, item] of node.entries()) visit(item, `${path}[${i}]`);
      } else if (typeof node === "object" && node !== null) {
        for (const [key, item] of Object.entries(node)) {
          if (key === "Fn::GetAtt" && Array.isArray(item)) {
            const [target, attribute] = item as [string, string];
            const type = typeOf.get(target);
            if (!type) problems.push(`${path}: Fn::GetAtt names no resource ${target}`);
            else if (!type.startsWith("Custom::")) {
              const spec = this.db.lookup("resource", "cloudFormationType", "equals", type)[0];
              if (spec && !(attribute in spec.attributes))
                problems.push(`${path}: ${type} has no attribute ${attribute}`);
            }
          }
          visit(item, `${path}.${key}`);
        }
      }
    };
    visit(template, "");
  }
}
