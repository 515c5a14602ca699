// Prisma 7 CLI configuration. DATABASE_URL is only needed by `prisma migrate deploy/status`;
// `prisma generate` runs without it.
import { defineConfig } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
})
