//! Test clocks for vendors: frozen time that customers attached to it are billed by, moved
//! forward over the API to watch renewals, dunning and webhooks happen in seconds. The real
//! clock never runs those customers; a test clock runs only them.
