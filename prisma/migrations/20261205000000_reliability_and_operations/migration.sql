-- AlterEnum
ALTER TYPE "ResultSource" ADD VALUE 'manual';

-- AlterTable
ALTER TABLE "PaymentOrder" ADD COLUMN     "cancelSentAt" TIMESTAMP(3),
ADD COLUMN     "cancelState" TEXT,
ADD COLUMN     "deliveryGaveUpAt" TIMESTAMP(3),
ADD COLUMN     "deliveryRequestedBy" TEXT,
ADD COLUMN     "nextCheckAt" TIMESTAMP(3),
ADD COLUMN     "notFoundCount" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "PaymentOrder_status_nextCheckAt_idx" ON "PaymentOrder"("status", "nextCheckAt");
