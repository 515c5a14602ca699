// The four servers bench/notify.ts loads, and the path each one answers on.
import { NOTIFY_PATH } from './notify-requests.js'

export type TargetMode = 'plugin' | 'store' | 'baseline' | 'minimal'

export const TARGET_PATHS: Record<TargetMode, string> = { plugin: NOTIFY_PATH, store: '/bench/store', baseline: '/bench/baseline', minimal: NOTIFY_PATH }
