// Types for scripts/schema-engine.mjs, for the tests that drive Prisma's schema engine.
export const ENGINE_PG_URL: string
export const NO_FILTERS: { externalTables: string[]; externalEnums: string[] }

export interface MigrationList {
  baseDir: string
  lockfile: { path: string; content: string | null }
  shadowDbInitScript: string
  migrationDirectories: Array<{ path: string; migrationFile: { path: string; content: { tag: 'ok'; value: string } } }>
}

export type DiffTarget =
  | { tag: 'empty' }
  | { tag: 'schemaDatamodel'; files: Array<{ path: string; content: string }> }
  | { tag: 'schemaDatasource'; files: Array<{ path: string; content: string }>; configDir: string }
  | ({ tag: 'migrations' } & MigrationList)

export interface SchemaEngine {
  diff(params: {
    from: DiffTarget
    to: DiffTarget
    script: boolean
    exitCode: boolean | null
    filters: typeof NO_FILTERS
  }): Promise<{ exitCode: number; stdout: string | null }>
  applyMigrations(input: { migrationsList: MigrationList; filters: typeof NO_FILTERS }): Promise<{
    appliedMigrationNames: string[]
  }>
  diagnoseMigrationHistory(input: {
    migrationsList: MigrationList
    optInToShadowDatabase: boolean
    filters: typeof NO_FILTERS
  }): Promise<{
    editedMigrationNames: string[]
    failedMigrationNames: string[]
    hasMigrationsTable: boolean
    history: unknown
  }>
}

export function schemaProvider(schemaText: string): string
export function openSchemaEngine(options: {
  schemaText: string
  schemaPath?: string
  adapterFactory?: object
}): Promise<SchemaEngine>
export function diffSql(options: { toSchema: string; fromSchema?: string; adapterFactory?: object }): Promise<string>
export function migrationList(baseDir: string, names: string[]): Promise<MigrationList>
export function pgAdapterFactory(options: { url: string; shadowUrl?: string }): Promise<{ close(): Promise<void> }>
