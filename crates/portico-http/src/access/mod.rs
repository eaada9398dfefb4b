//! Portal access as vendors ask for it: the native API and the three dialects (GraphQL, REST
//! portal-token, signed redirect links), each a thin shape around the one use case
//! (`portico_app::access::issue`).

pub mod native;
pub mod rest_token;
pub mod shareable;

pub use portico_app::access::{Issued, Target, portal_origin};

use portico_core::model::PortalSessionRequest;

use crate::error::ApiResult;
use crate::{AppState, VendorAuth};

/// Issues a portal session for `target` as the authenticated vendor, now.
pub async fn issue(
    state: &AppState,
    auth: &VendorAuth,
    target: &Target,
    request: PortalSessionRequest,
) -> ApiResult<Issued> {
    let now = state.app.clock.now();
    Ok(portico_app::access::issue(&state.app, &auth.caller(), target, request, now).await?)
}
