//! The "prove control" banner on a domain not yet proven: nothing is served for it until then,
//! and this is what to publish.

use leptos::prelude::*;
use portcullis_domain::dns::{challenge_record, ProofToken};
use portcullis_domain::DomainName;

#[component]
pub fn ProofBanner(domain: String, token: String, proven: bool) -> impl IntoView {
    let (Ok(name), Ok(token), false) = (DomainName::parse(&domain), ProofToken::parse(&token), proven) else {
        return ().into_any();
    };
    let record = challenge_record(&name, &token);
    view! {
        <section class="panel warn proof" role="status" data-testid="proof-banner">
            <h2>"Prove that this domain is yours"</h2>
            <p>
                "Until you do, its policy is not served, no certificate is ordered and reports sent for it are refused. Publish this TXT record, then use Check now on the DNS section:"
            </p>
            <dl class="record">
                <dt>"Name"</dt>
                <dd>
                    <code data-testid="proof-name">{record.name.clone()}</code>
                </dd>
                <dt>"Type"</dt>
                <dd>
                    <code>"TXT"</code>
                </dd>
                <dt>"Value"</dt>
                <dd>
                    <code data-testid="proof-value">{record.value.clone()}</code>
                </dd>
            </dl>
            <p class="hint">
                "The delegation CNAMEs prove it too, where this server runs a DNS zone. An operator can vouch for a domain with "
                <code>{format!("portcullis domain prove {domain}")}</code> "."
            </p>
        </section>
    }
    .into_any()
}
