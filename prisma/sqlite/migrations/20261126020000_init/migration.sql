-- CreateTable
CREATE TABLE "PaymentOrder" (
    "orderNo" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL DEFAULT 'init',
    "amount" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "paymentId" TEXT,
    "resultCode" TEXT,
    "resultMessage" TEXT,
    "resultSource" TEXT,
    "paymentTime" DATETIME,
    "finalizedAt" DATETIME,
    "finalEventId" TEXT,
    "leaseOwner" TEXT,
    "leaseUntil" DATETIME,
    "attention" TEXT,
    "deliveredAt" DATETIME,
    "deliveryAttempts" INTEGER NOT NULL DEFAULT 0,
    "deliveryError" TEXT,
    "deliveryOwner" TEXT,
    "deliveryUntil" DATETIME,
    "deliveryDueAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "PaymentEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "orderNo" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "resultStatus" TEXT NOT NULL,
    "resultCode" TEXT,
    "reason" TEXT,
    "payload" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "deliveries" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PaymentEvent_orderNo_fkey" FOREIGN KEY ("orderNo") REFERENCES "PaymentOrder" ("orderNo") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "PaymentOrder_status_createdAt_idx" ON "PaymentOrder"("status", "createdAt");

-- CreateIndex
CREATE INDEX "PaymentOrder_deliveredAt_status_deliveryDueAt_idx" ON "PaymentOrder"("deliveredAt", "status", "deliveryDueAt");

-- CreateIndex
CREATE INDEX "PaymentEvent_orderNo_createdAt_idx" ON "PaymentEvent"("orderNo", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "PaymentEvent_orderNo_digest_key" ON "PaymentEvent"("orderNo", "digest");
