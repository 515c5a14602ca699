-- CreateEnum
CREATE TYPE "PaymentStatus" AS ENUM ('init', 'SUCCESS', 'FAIL');

-- CreateEnum
CREATE TYPE "ResultSource" AS ENUM ('notify', 'inquiry');

-- CreateTable
CREATE TABLE "PaymentOrder" (
    "orderNo" TEXT NOT NULL,
    "status" "PaymentStatus" NOT NULL DEFAULT 'init',
    "amount" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "paymentId" TEXT,
    "resultCode" TEXT,
    "resultMessage" TEXT,
    "resultSource" "ResultSource",
    "paymentTime" TIMESTAMP(3),
    "finalizedAt" TIMESTAMP(3),
    "finalEventId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PaymentOrder_pkey" PRIMARY KEY ("orderNo")
);

-- CreateTable
CREATE TABLE "PaymentEvent" (
    "id" TEXT NOT NULL,
    "orderNo" TEXT NOT NULL,
    "source" "ResultSource" NOT NULL,
    "resultStatus" TEXT NOT NULL,
    "resultCode" TEXT,
    "applied" BOOLEAN NOT NULL,
    "reason" TEXT,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PaymentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PaymentOrder_status_createdAt_idx" ON "PaymentOrder"("status", "createdAt");

-- CreateIndex
CREATE INDEX "PaymentEvent_orderNo_createdAt_idx" ON "PaymentEvent"("orderNo", "createdAt");

-- AddForeignKey
ALTER TABLE "PaymentEvent" ADD CONSTRAINT "PaymentEvent_orderNo_fkey" FOREIGN KEY ("orderNo") REFERENCES "PaymentOrder"("orderNo") ON DELETE RESTRICT ON UPDATE CASCADE;
