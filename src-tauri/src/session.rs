//! Someone signed in: the API client that carries their token, and who they are with their
//! clinic and the limits it works under (as the server said in `/me`).

use crate::api_client::ApiClient;
use clinicdocs_core::api::Me;
use clinicdocs_core::limits::PlanLimits;
use uuid::Uuid;

#[derive(Clone)]
pub struct Session {
    pub client: ApiClient,
    pub me: Me,
}

impl Session {
    /// The server's address, as the queue records it with each item.
    pub fn server(&self) -> String {
        self.client.base().as_str().to_string()
    }

    pub fn user_id(&self) -> Uuid {
        self.me.user.id
    }

    /// The limits the server applies to this clinic: every check before sending uses these.
    pub fn limits(&self) -> PlanLimits {
        self.me.org.limits
    }
}
