-- Written by hand in the form `prisma migrate dev` writes for MySQL (the offline schema engine
-- cannot run the MySQL connector), from prisma/mysql/schema.prisma. test/database/drift.test.ts
-- checks it against that schema on a live MariaDB.
-- One deliberate difference: the tables use COLLATE utf8mb4_bin, not utf8mb4_unicode_ci.
-- MySQL's and MariaDB's default collations ignore case (and some accents), so 'abc' and 'ABC'
-- would be the same orderNo, and a notification for one would settle the other. Binary
-- comparison makes orderNo exact, as it is on PostgreSQL and SQLite.

-- CreateTable
CREATE TABLE `PaymentOrder` (
    `orderNo` VARCHAR(64) NOT NULL,
    `status` ENUM('init', 'SUCCESS', 'FAIL') NOT NULL DEFAULT 'init',
    `amount` VARCHAR(191) NOT NULL,
    `currency` VARCHAR(191) NOT NULL,
    `paymentId` VARCHAR(191) NULL,
    `resultCode` VARCHAR(191) NULL,
    `resultMessage` TEXT NULL,
    `resultSource` ENUM('notify', 'inquiry', 'cancel') NULL,
    `paymentTime` DATETIME(3) NULL,
    `finalizedAt` DATETIME(3) NULL,
    `finalEventId` VARCHAR(191) NULL,
    `leaseOwner` VARCHAR(191) NULL,
    `leaseUntil` DATETIME(3) NULL,
    `attention` VARCHAR(191) NULL,
    `deliveredAt` DATETIME(3) NULL,
    `deliveryAttempts` INTEGER NOT NULL DEFAULT 0,
    `deliveryError` TEXT NULL,
    `deliveryOwner` VARCHAR(191) NULL,
    `deliveryUntil` DATETIME(3) NULL,
    `deliveryDueAt` DATETIME(3) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,

    INDEX `PaymentOrder_status_createdAt_idx`(`status`, `createdAt`),
    INDEX `PaymentOrder_deliveredAt_status_deliveryDueAt_idx`(`deliveredAt`, `status`, `deliveryDueAt`),
    PRIMARY KEY (`orderNo`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `PaymentEvent` (
    `id` VARCHAR(191) NOT NULL,
    `orderNo` VARCHAR(64) NOT NULL,
    `source` ENUM('notify', 'inquiry', 'cancel') NOT NULL,
    `resultStatus` VARCHAR(191) NOT NULL,
    `resultCode` VARCHAR(191) NULL,
    `reason` VARCHAR(191) NULL,
    `payload` MEDIUMTEXT NOT NULL,
    `digest` CHAR(64) NOT NULL,
    `deliveries` INTEGER NOT NULL DEFAULT 1,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `PaymentEvent_orderNo_createdAt_idx`(`orderNo`, `createdAt`),
    UNIQUE INDEX `PaymentEvent_orderNo_digest_key`(`orderNo`, `digest`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `PaymentEvent` ADD CONSTRAINT `PaymentEvent_orderNo_fkey` FOREIGN KEY (`orderNo`) REFERENCES `PaymentOrder`(`orderNo`) ON DELETE RESTRICT ON UPDATE CASCADE;
