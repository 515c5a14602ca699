// fastify-alipayplus/admin: the ops page and the admin API's JSON routes, mounted by the host
// behind its own authentication (see docs/operations.md).
import adminRoutes from './admin-routes.js'

export { type AlipayPlusAdminOptions, ORDER_VIEWS } from './admin-routes.js'
export type { ActionOutcome, AdminApi, ListOrdersOptions, OrderDetail, OrderPage, OrderView } from './admin-api.js'
export { adminRoutes as alipayPlusAdmin }
export default adminRoutes
