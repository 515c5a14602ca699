-- Written by Prisma's schema engine (`npm run migration:diff -- --schema prisma/schema.prisma
-- --from-schema <schema before this migration>`), then edited by hand only where existing rows
-- need it. Every edit is marked "hand-edited". No semicolon in a comment: @prisma/adapter-pg
-- splits scripts at every semicolon.
-- Dropping "applied" loses nothing: the store always wrote a "reason" when applied was false,
-- and the event that decided an order is the one its "finalEventId" names.

-- AlterEnum
ALTER TYPE "ResultSource" ADD VALUE 'cancel';

-- AlterTable
ALTER TABLE "PaymentOrder" ADD COLUMN     "attention" TEXT,
ADD COLUMN     "deliveredAt" TIMESTAMP(3),
ADD COLUMN     "deliveryAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deliveryDueAt" TIMESTAMP(3),
ADD COLUMN     "deliveryError" TEXT,
ADD COLUMN     "deliveryOwner" TEXT,
ADD COLUMN     "deliveryUntil" TIMESTAMP(3);

-- AlterTable
-- hand-edited: "digest" is added nullable, backfilled, then made NOT NULL (the engine adds it
-- NOT NULL without a default, which fails on a table with rows). The explicit USING keeps
-- every payload: the JSON text PostgreSQL stored for the jsonb value.
ALTER TABLE "PaymentEvent" DROP COLUMN "applied",
ADD COLUMN     "deliveries" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "digest" TEXT,
ALTER COLUMN "payload" SET DATA TYPE TEXT USING "payload"::TEXT;

-- hand-edited: events written before this migration get a digest that no new message can
-- have, sha256 of 'legacy:' || id, instead of sha256 of the payload: old rows may hold the
-- same payload twice for one order, which would break the unique index below, and jsonb
-- normalised their text, so it is not the bytes received anyway.
UPDATE "PaymentEvent" SET "digest" = encode(sha256(convert_to('legacy:' || "id", 'UTF8')), 'hex');

-- hand-edited
ALTER TABLE "PaymentEvent" ALTER COLUMN "digest" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "PaymentEvent_orderNo_digest_key" ON "PaymentEvent"("orderNo", "digest");

-- CreateIndex
CREATE INDEX "PaymentOrder_deliveredAt_status_deliveryDueAt_idx" ON "PaymentOrder"("deliveredAt", "status", "deliveryDueAt");
