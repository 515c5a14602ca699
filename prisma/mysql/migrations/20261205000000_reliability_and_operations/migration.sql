-- Written by hand in the form `prisma migrate dev` writes for MySQL, from
-- prisma/mysql/schema.prisma; test/database/drift.test.ts checks it on a live MariaDB.
-- Hand-edited: AFTER keeps the columns in the schema's order (the engine would append them).

-- AlterTable
ALTER TABLE `PaymentOrder` ADD COLUMN `deliveryGaveUpAt` DATETIME(3) NULL AFTER `deliveryDueAt`,
    ADD COLUMN `deliveryRequestedBy` VARCHAR(191) NULL AFTER `deliveryGaveUpAt`,
    ADD COLUMN `cancelState` VARCHAR(191) NULL AFTER `deliveryRequestedBy`,
    ADD COLUMN `cancelSentAt` DATETIME(3) NULL AFTER `cancelState`,
    ADD COLUMN `nextCheckAt` DATETIME(3) NULL AFTER `cancelSentAt`,
    ADD COLUMN `notFoundCount` INTEGER NOT NULL DEFAULT 0 AFTER `nextCheckAt`,
    MODIFY `resultSource` ENUM('notify', 'inquiry', 'cancel', 'manual') NULL;

-- AlterTable
ALTER TABLE `PaymentEvent` MODIFY `source` ENUM('notify', 'inquiry', 'cancel', 'manual') NOT NULL;

-- CreateIndex
CREATE INDEX `PaymentOrder_status_nextCheckAt_idx` ON `PaymentOrder`(`status`, `nextCheckAt`);
