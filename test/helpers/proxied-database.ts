// A PrismaClient whose PostgreSQL connections go through a TCP proxy the test can cut and
// restore (test/helpers/tcp-proxy.ts): a real database outage for one app, the others unaffected.
import { PrismaPg } from '@prisma/adapter-pg'
import type { Test } from 'tap'
import { PrismaClient } from '../../generated/prisma/client.js'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'

export async function proxiedPostgres(t: Test, databaseUrl: string): Promise<{ proxy: TcpProxy; prisma: PrismaClient }> {
  const target = new URL(databaseUrl)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  t.teardown(() => proxy.close())
  const viaProxy = new URL(databaseUrl)
  viaProxy.port = String(proxy.port)
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: viaProxy.toString() }) })
  t.teardown(() => prisma.$disconnect())
  return { proxy, prisma }
}
