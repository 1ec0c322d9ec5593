//! The organisation page's push settings (owners): where its domains' `_mta-sts` records are
//! pushed (RFC 2136 with TSIG). The secret is write-only.

use crate::api::{RemovePushSettings, SavePushSettings};
use crate::components::ErrorPanel;
use crate::dto::{format_time, PushSettingsItem};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn PushSettingsCard(
    org: String,
    csrf: String,
    current: Option<PushSettingsItem>,
    available: bool,
    error: Option<AppError>,
) -> impl IntoView {
    let field = |name: &str| error.as_ref().and_then(|e| e.for_field(name));
    let (server_err, key_err, alg_err, secret_err, token_err) = (
        field("server"),
        field("key_name"),
        field("algorithm"),
        field("secret"),
        field("token"),
    );
    let via_api = current.as_ref().is_some_and(|c| c.provider == "cloudflare");
    let other_error = error.clone().filter(|e| !matches!(e, AppError::Invalid { .. }));
    let algorithm = current
        .as_ref()
        .map(|c| c.algorithm.clone())
        .unwrap_or_else(|| "hmac-sha256".into());
    view! {
        <section class="card" id="push" data-testid="push-settings">
            <h2>"DNS push"</h2>
            <p class="hint">
                "For domains whose records stay in your own DNS: after every policy change Portcullis updates their _mta-sts TXT, on your primary server (RFC 2136 dynamic update, signed with a TSIG key) or through Cloudflare's API, and checks that it shows. Choose push per domain in its DNS section. One way per organisation: saving one replaces the other."
            </p>
            {other_error.map(|e| view! { <ErrorPanel error=e /> })}
            {current
                .clone()
                .map(|c| {
                    view! {
                        <dl class="facts" data-testid="push-current">
                            {if c.provider == "cloudflare" {
                                view! {
                                    <dt>"Via"</dt>
                                    <dd>"Cloudflare's API; the token is stored sealed"</dd>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <dt>"Via"</dt>
                                    <dd>"RFC 2136 dynamic updates"</dd>
                                    <dt>"Server"</dt>
                                    <dd>
                                        <code>{c.server}</code>
                                    </dd>
                                    <dt>"Key"</dt>
                                    <dd>
                                        <code>{c.key_name}</code>
                                        {format!(" ({}); secret stored sealed", c.algorithm)}
                                    </dd>
                                }
                                    .into_any()
                            }}
                            <dt>"Set"</dt>
                            <dd>{format!("{} by {}", format_time(c.updated_at), c.updated_by)}</dd>
                            <dt>"Used by"</dt>
                            <dd>{format!("{} domain{}", c.domains, if c.domains == 1 { "" } else { "s" })}</dd>
                        </dl>
                    }
                })}
            {if available {
                view! {
                    <h3>"Your primary server (RFC 2136)"</h3>
                    <form method="post" action=SavePushSettings::PATH class="stack" data-testid="push-form">
                        <input type="hidden" name="csrf" value=csrf.clone() />
                        <input type="hidden" name="org" value=org.clone() />
                        <input type="hidden" name="provider" value="rfc2136" />
                        <p class="hint">
                            "The key needs update rights for _mta-sts TXT records only (BIND: update-policy { grant KEY wildcard _mta-sts.*.  TXT; };)."
                        </p>
                        <div class="field">
                            <label for="push-server">"Primary server"</label>
                            <input
                                id="push-server"
                                name="server"
                                required
                                placeholder="192.0.2.53 or tcp://[2001:db8::53]:53"
                                value=current.as_ref().map(|c| c.server.clone())
                                aria-describedby="push-server-help push-server-error"
                            />
                            <p id="push-server-help" class="hint">
                                "An IP address, optional port; UDP unless tcp:// is given."
                            </p>
                            <p id="push-server-error" class="field-error" role="alert">
                                {server_err}
                            </p>
                        </div>
                        <div class="field">
                            <label for="push-key">"TSIG key name"</label>
                            <input
                                id="push-key"
                                name="key_name"
                                required
                                placeholder="portcullis-key"
                                value=current.as_ref().map(|c| c.key_name.clone())
                                aria-describedby="push-key-error"
                            />
                            <p id="push-key-error" class="field-error" role="alert">
                                {key_err}
                            </p>
                        </div>
                        <div class="field">
                            <label for="push-algorithm">"Algorithm"</label>
                            <select id="push-algorithm" name="algorithm" aria-describedby="push-algorithm-error">
                                {["hmac-sha256", "hmac-sha384", "hmac-sha512"]
                                    .into_iter()
                                    .map(|a| {
                                        view! {
                                            <option value=a selected=a == algorithm>
                                                {a}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            <p id="push-algorithm-error" class="field-error" role="alert">
                                {alg_err}
                            </p>
                        </div>
                        <div class="field">
                            <label for="push-secret">"Secret"</label>
                            <input
                                id="push-secret"
                                name="secret"
                                type="password"
                                required
                                autocomplete="off"
                                aria-describedby="push-secret-help push-secret-error"
                            />
                            <p id="push-secret-help" class="hint">
                                "The key's base64 secret (tsig-keygen prints it). Stored sealed; never shown again, so enter it again to change any setting."
                            </p>
                            <p id="push-secret-error" class="field-error" role="alert">
                                {secret_err}
                            </p>
                        </div>
                        <button type="submit" class="primary">
                            "Save push settings"
                        </button>
                    </form>
                    <h3>"Cloudflare"</h3>
                    <form method="post" action=SavePushSettings::PATH class="stack" data-testid="push-cloudflare-form">
                        <input type="hidden" name="csrf" value=csrf.clone() />
                        <input type="hidden" name="org" value=org.clone() />
                        <input type="hidden" name="provider" value="cloudflare" />
                        <div class="field">
                            <label for="push-token">"API token"</label>
                            <input
                                id="push-token"
                                name="secret"
                                type="password"
                                required
                                autocomplete="off"
                                aria-describedby="push-token-help push-token-error"
                            />
                            <p id="push-token-help" class="hint">
                                {if via_api { "Saved already: enter a token only to replace it. " } else { "" }}
                                "Make one in Cloudflare (My Profile → API Tokens → Create Token → Edit zone DNS) for the zones of the domains that use push. Portcullis finds each domain's zone itself and replaces only the _mta-sts TXT record. Stored sealed; never shown again."
                            </p>
                            <p id="push-token-error" class="field-error" role="alert">
                                {token_err}
                            </p>
                        </div>
                        <button type="submit" class="primary">
                            "Save Cloudflare token"
                        </button>
                    </form>
                }
                    .into_any()
            } else {
                view! {
                    <p class="panel warn">
                        "Push is unavailable: the server has no PORTCULLIS_SECRET_KEY to seal the TSIG secret or API token with."
                    </p>
                }
                    .into_any()
            }}
            {current
                .map(|_| {
                    view! {
                        <form method="post" action=RemovePushSettings::PATH class="inline">
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="org" value=org />
                            <button type="submit" class="danger">
                                "Remove push settings"
                            </button>
                        </form>
                    }
                })}
        </section>
    }
}
