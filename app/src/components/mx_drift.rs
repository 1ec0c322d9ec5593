//! The red MX-drift banner: a live MX the enforced policy does not list, with the one-click fix
//! and the order of operations that keeps mail flowing.

use crate::api::FixMxDrift;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn MxDriftBanner(
    domain: String,
    hosts: Vec<String>,
    csrf: String,
    can_fix: bool,
    /// The new id reaches DNS by itself (delegation in place, or push).
    #[prop(optional)]
    id_automatic: bool,
) -> impl IntoView {
    if hosts.is_empty() {
        return ().into_any();
    }
    let list = hosts.join(", ");
    view! {
        <section class="panel error mx-drift" role="alert" data-testid="mx-drift">
            <h2>"MX drift: mail is being refused"</h2>
            <p>
                {format!(
                    "The DNS check found MX {list} for {domain}, but the enforced policy does not list {}. Senders that enforce MTA-STS refuse to deliver there.",
                    if hosts.len() == 1 { "it" } else { "them" },
                )}
            </p>
            <ol class="steps">
                <li>
                    <strong>"Policy first: "</strong>
                    "add the MX to the policy. This publishes a new policy id."
                </li>
                <li>
                    <strong>"Then DNS: "</strong>
                    {if id_automatic {
                        format!(
                            "nothing to publish: the new id reaches _mta-sts.{domain} by itself. Check the DNS to see it.",
                        )
                    } else {
                        format!(
                            "publish the new id in _mta-sts.{domain} TXT, so senders fetch the new policy, and check the DNS.",
                        )
                    }}
                </li>
                <li>
                    <strong>"Then MX: "</strong>
                    "next time, change MX records only after steps 1 and 2 are done and verified."
                </li>
            </ol>
            {can_fix
                .then(|| {
                    view! {
                        <form method="post" action=FixMxDrift::PATH>
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="name" value=domain.clone() />
                            <button type="submit" class="primary">
                                {format!("Add {list} to the policy")}
                            </button>
                        </form>
                    }
                })}
        </section>
    }
    .into_any()
}
