import { z } from 'zod';
import { SHIPPED_LOOKUP_NAMES } from '../lookups/index.js';

/** A value read from the environment (first name that is set wins), with an optional default. */
export const envRefSchema = z
  .object({
    env: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    default: z.string().optional(),
  })
  .strict();
export type EnvRef = z.infer<typeof envRefSchema>;

const text = z.union([z.string().min(1), envRefSchema]);
const port = z.union([z.number().int().min(1).max(65535), envRefSchema]);

const flag = z.union([z.boolean(), envRefSchema]);
const millis = z.number().int().positive();

/** How the sync logs in: SQL login (default), Windows (NTLM) or Entra ID, as tedious supports them. */
export const authenticationTypes = [
  'sql',
  'ntlm',
  'azure-active-directory-password',
  'azure-active-directory-service-principal-secret',
  'azure-active-directory-msi-vm',
  'azure-active-directory-default',
] as const;

export const isolationLevels = [
  'READ_UNCOMMITTED',
  'READ_COMMITTED',
  'REPEATABLE_READ',
  'SNAPSHOT',
  'SERIALIZABLE',
] as const;

export const databaseSchema = z
  .object({
    host: text,
    /** Fixed TCP port. Without it, an `instanceName` is looked up through SQL Server Browser (UDP 1434); else 1433. */
    port: port.optional(),
    instanceName: text.optional(),
    database: text,
    authentication: z.enum(authenticationTypes).default('sql'),
    user: text.optional(),
    password: text.optional(),
    domain: text.optional(),
    clientId: text.optional(),
    clientSecret: text.optional(),
    tenantId: text.optional(),
    /** true (TLS after PRELOGIN), false (plain text, only where the server allows it) or "strict" (TDS 8). */
    encrypt: z.union([z.boolean(), z.literal('strict'), envRefSchema]).default(true),
    trustServerCertificate: flag.default(false),
    /** The CA (PEM) that signed the server's certificate: the PEM itself (from env/secret) or a file. */
    ca: z.union([z.string().min(1), envRefSchema, z.object({ file: text }).strict()]).optional(),
    /** The name the server's certificate must carry, when it differs from `host`. */
    serverName: text.optional(),
    /** The IANA zone in which the ERP writes DATETIME/DATETIME2/SMALLDATETIME wall-clock times. */
    timeZone: text.default('America/Bogota'),
    poolMax: z.number().int().min(1).max(50).default(4),
    connectTimeoutMs: millis.default(15000),
    /** How long the server may take to send the first row of a query. */
    firstRowTimeoutMs: millis.optional(),
    /** Older name of firstRowTimeoutMs. */
    requestTimeoutMs: millis.default(120000),
    /** How long a stream may go without a row before it is cancelled (a stall). */
    idleRowTimeoutMs: millis.default(60000),
    isolationLevel: z.enum(isolationLevels).default('READ_COMMITTED'),
    /** Pages the extract reads ahead while it writes one: the server is paused only beyond these. */
    readAheadPages: z.number().int().min(1).max(10).default(2),
  })
  .strict();

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const fieldTypes = ['string', 'email', 'number', 'integer', 'boolean', 'date', 'datetime'] as const;

export const fieldMappingSchema = z
  .object({
    from: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    const: scalar.optional(),
    default: scalar.optional(),
    type: z.enum(fieldTypes).default('string'),
    trim: z.boolean().default(true),
    case: z.enum(['upper', 'lower']).optional(),
    maxLength: z.number().int().positive().optional(),
    truncate: z.boolean().default(false),
    scale: z.number().int().min(0).max(18).optional(),
    /** How a number in text is written: plain (1234567.89, the default) or es-CO (1.234.567,89). */
    numberFormat: z.enum(['plain', 'es-CO']).optional(),
    /** How a binary (VARBINARY) column becomes text; without it binary values are rejected. */
    encoding: z.enum(['base64', 'hex']).optional(),
    required: z.boolean().default(false),
    ref: z
      .object({
        entity: z.string().min(1),
        relationship: z.string().min(1),
      })
      .strict()
      .optional(),
    /** Translate the source value: a shipped table's name, or an inline map (case/accents ignored). */
    lookup: z
      .union([
        z.string().refine((name) => SHIPPED_LOOKUP_NAMES.includes(name), {
          message: `unknown lookup table (shipped: ${SHIPPED_LOOKUP_NAMES.join(', ')}; or give an inline map {"source value": "Salesforce value"})`,
        }),
        z.record(z.string().min(1), z.string().min(1)).refine((m) => Object.keys(m).length > 0, {
          message: 'an inline lookup needs at least one entry',
        }),
      ])
      .optional(),
  })
  .strict()
  .refine((f) => (f.from === undefined) !== (f.const === undefined), {
    message: 'give exactly one of "from" (source column) or "const" (fixed value)',
  })
  .refine((f) => f.lookup === undefined || (f.from !== undefined && f.type === 'string' && !f.ref), {
    message: '"lookup" translates a source column ("from") of type string, not a const or a reference',
    path: ['lookup'],
  });
export type FieldMapping = z.infer<typeof fieldMappingSchema>;

export const sourceSchema = z
  .object({
    view: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a view name: letters, digits, _ and . only')
      .optional(),
    query: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => (s.view === undefined) !== (s.query === undefined), {
    message: 'give exactly one of "view" or "query"',
  });

export const entitySchema = z
  .object({
    source: sourceSchema,
    key: z.array(z.string().min(1)).min(1),
    object: z.string().min(1),
    externalIdField: z.string().min(1).optional(),
    strategy: z.enum(['externalId', 'idMap']).default('externalId'),
    dependsOn: z.array(z.string().min(1)).default([]),
    fields: z.record(z.string().min(1), fieldMappingSchema),
    pageSize: z.number().int().min(1).max(10000).optional(),
    batchSize: z.number().int().min(1).max(200).optional(),
    maxInFlight: z.number().int().min(1).max(25).optional(),
    /**
     * The org's duplicate rules on our writes. "allowSave" (default) sends
     * `Sforce-Duplicate-Rule-Header: allowSave=true`: we own these records and their identity is
     * the external ID, so a same-named Account of another company is not a duplicate to block.
     * "enforce" lets the rules block: such a record fails with DUPLICATES_DETECTED.
     */
    duplicateRules: z.enum(['allowSave', 'enforce']).default('allowSave'),
    /**
     * What happens in Salesforce to a record whose key left the view: "ignore" (default),
     * "delete" (sObject Collections delete by Id; children's entities before their parents'),
     * or {"deactivate": {"field": "Active__c", "value": false}} (an update of that field).
     */
    onDelete: z
      .union([
        z.enum(['ignore', 'delete']),
        z
          .object({
            deactivate: z
              .object({
                field: z.string().min(1),
                value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
              })
              .strict(),
          })
          .strict(),
      ])
      .default('ignore'),
    /** The mass-deletion guard: a run that would remove more than this share of the entity's records in Salesforce removes none. */
    maxDeletePercent: z.number().min(0).max(100).default(10),
    /**
     * Above this many staged records an entity's changes travel through Bulk API 2.0 (one job per
     * 100 MB of CSV, polled by the state machine) instead of sObject Collections; 0 = never.
     */
    bulkThreshold: z.number().int().min(0).default(10_000),
  })
  .strict()
  .refine((e) => e.strategy === 'idMap' || e.externalIdField !== undefined, {
    message: 'the externalId strategy needs "externalIdField" (or use "strategy": "idMap")',
    path: ['externalIdField'],
  });

export const companySchema = z
  .object({
    database: databaseSchema,
    entities: z
      .record(
        z.string(),
        z.object({ enabled: z.boolean().default(true), source: sourceSchema.optional() }).strict(),
      )
      .default({}),
  })
  .strict();

export const salesforceSchema = z
  .object({
    loginUrl: text,
    instanceUrl: text.optional(),
    apiVersion: z.string().regex(/^\d{2}\.\d$/, 'like "62.0"'),
    auth: z
      .object({
        flow: z.enum(['jwt', 'client_credentials', 'password']),
        clientId: text,
        clientSecret: text.optional(),
        username: text.optional(),
        password: text.optional(),
        privateKey: text.optional(),
        audience: text.optional(),
      })
      .strict(),
    requestTimeoutMs: z.number().int().positive().default(60000),
  })
  .strict();

export const configSchema = z
  .object({
    salesforce: salesforceSchema,
    defaults: z
      .object({
        pageSize: z.number().int().min(1).max(10000).default(1000),
        batchSize: z.number().int().min(1).max(200).default(200),
        maxInFlight: z.number().int().min(1).max(25).default(4),
        stagingTtlHours: z.number().int().min(1).max(720).default(48),
      })
      .strict()
      .default({ pageSize: 1000, batchSize: 200, maxInFlight: 4, stagingTtlHours: 48 }),
    companies: z.record(
      z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'company codes are UPPER_SNAKE_CASE'),
      companySchema,
    ),
    entities: z.record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, 'entity names are lower_snake_case'),
      entitySchema,
    ),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
