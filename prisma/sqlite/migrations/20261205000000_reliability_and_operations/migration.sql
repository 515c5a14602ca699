-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_PaymentOrder" (
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
    "deliveryGaveUpAt" DATETIME,
    "deliveryRequestedBy" TEXT,
    "cancelState" TEXT,
    "cancelSentAt" DATETIME,
    "nextCheckAt" DATETIME,
    "notFoundCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_PaymentOrder" ("amount", "attention", "createdAt", "currency", "deliveredAt", "deliveryAttempts", "deliveryDueAt", "deliveryError", "deliveryOwner", "deliveryUntil", "finalEventId", "finalizedAt", "leaseOwner", "leaseUntil", "orderNo", "paymentId", "paymentTime", "resultCode", "resultMessage", "resultSource", "status", "updatedAt") SELECT "amount", "attention", "createdAt", "currency", "deliveredAt", "deliveryAttempts", "deliveryDueAt", "deliveryError", "deliveryOwner", "deliveryUntil", "finalEventId", "finalizedAt", "leaseOwner", "leaseUntil", "orderNo", "paymentId", "paymentTime", "resultCode", "resultMessage", "resultSource", "status", "updatedAt" FROM "PaymentOrder";
DROP TABLE "PaymentOrder";
ALTER TABLE "new_PaymentOrder" RENAME TO "PaymentOrder";
CREATE INDEX "PaymentOrder_status_createdAt_idx" ON "PaymentOrder"("status", "createdAt");
CREATE INDEX "PaymentOrder_status_nextCheckAt_idx" ON "PaymentOrder"("status", "nextCheckAt");
CREATE INDEX "PaymentOrder_deliveredAt_status_deliveryDueAt_idx" ON "PaymentOrder"("deliveredAt", "status", "deliveryDueAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
