-- AlterTable
ALTER TABLE "PaymentOrder" ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "leaseUntil" TIMESTAMP(3);
