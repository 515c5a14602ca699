// Node keeps timer delays in a signed 32-bit integer: a delay above 2^31-1 ms (about 24.8 days)
// is replaced by 1 ms, with only a warning. An option meant as "a month" would then fire at
// once, in a tight loop, so every duration the plugin may hand to a timer is capped here.
export const MAX_TIMER_MS = 2_147_483_647

export const TIMER_LIMIT_PROBLEM = `must be at most ${MAX_TIMER_MS} ms (2^31-1, the longest delay a Node.js timer keeps)`
