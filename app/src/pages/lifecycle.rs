//! `/domains/:name/lifecycle`: the domain's mode, the readiness checklist for enforce with the
//! "what would break" replay, the confirmed transitions (enforce, rollback, removal), the DNS
//! change each one needs, and the history. Plain forms: everything works without JavaScript.

use crate::api::{get_lifecycle, FixMxDrift, TransitionDomain};
use crate::components::{form_error, page_frame, Crumbs, ErrorPanel, FieldError, ModeBadge, MxDriftBanner};
use crate::dto::{count_text, format_time, LifecycleView};
use crate::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use portcullis_domain::lifecycle::ReplayOutcome;
use portcullis_domain::Role;

#[component]
pub fn LifecyclePage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    // A refused field shows under that field; anything else at the top.
    let transition_error = form_error::<TransitionDomain>();
    let fields = FieldErrors(transition_error.clone());
    let error = transition_error
        .filter(|e| !matches!(e, AppError::Invalid { .. }))
        .or_else(form_error::<FixMxDrift>);
    page_frame(format!("Mode · {name}"), None, move |ctx| async move {
        let view = get_lifecycle(name.clone()).await;
        view! {
            <Crumbs trail=vec![(format!("/domains/{name}"), name.clone())] />
            <h1>"Testing, enforce and removal"</h1>
            {error.clone().map(|e| view! { <ErrorPanel error=e /> })}
            {match view {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(v) => view! { <Lifecycle v=v csrf=ctx.csrf.clone() fields=fields.clone() /> }.into_any(),
            }}
        }
        .into_any()
    })
}

/// The transition forms' field errors, by `<form>_<field>` (`enforce_reason`, `none_confirm`).
#[derive(Clone)]
struct FieldErrors(Option<AppError>);

impl FieldErrors {
    fn of(&self, field: &str) -> Option<String> {
        self.0.as_ref().and_then(|e| e.for_field(field))
    }
}

#[component]
fn Lifecycle(v: LifecycleView, csrf: String, fields: FieldErrors) -> impl IntoView {
    let d = v.domain.clone();
    let can_move = v.role.allows(Role::Editor);
    let is_owner = v.role.allows(Role::Owner);
    let mode = v.mode.clone();
    view! {
        <MxDriftBanner
            domain=d.clone()
            hosts=v.mx_drift.clone()
            csrf=csrf.clone()
            can_fix=can_move
            id_automatic=v.id_automatic
        />
        <section class="card" data-testid="lifecycle-state">
            <dl class="facts">
                <dt>"Mode"</dt>
                <dd data-testid="lifecycle-mode">
                    <ModeBadge mode=Some(mode.clone()) />
                </dd>
                {v
                    .policy_id
                    .clone()
                    .map(|id| {
                        view! {
                            <dt>"Policy id"</dt>
                            <dd>
                                <code>{id}</code>
                            </dd>
                        }
                    })}
                {v
                    .retire_at
                    .map(|t| {
                        view! {
                            <dt>"Removal"</dt>
                            <dd>{format!("\"mode: none\" is served until {}, then nothing.", format_time(t))}</dd>
                        }
                    })}
            </dl>
            <p class="hint">
                {match mode.as_str() {
                    "testing" => {
                        "Senders report TLS problems but still deliver. Move to enforce once every item below is green."
                    }
                    "enforce" => {
                        "Senders refuse to deliver without valid TLS to a listed MX. Roll back to testing at once if mail is refused."
                    }
                    "none" => "MTA-STS is being switched off: senders replace their cached policy with \"none\".",
                    _ => "No policy is served. Create one in the policy editor: it starts in testing.",
                }}
            </p>
            <DnsChange v=v.clone() />
            {(mode == "testing" || mode == "enforce")
                .then(|| {
                    view! {
                        <p>
                            <a href=format!("/domains/{}/mx-plan", v.domain) data-testid="mx-plan-link">
                                "Changing MX hosts or provider? Plan it step by step"
                            </a>
                        </p>
                    }
                })}
            {v
                .max_age_advice
                .clone()
                .map(|a| {
                    view! {
                        <div class="panel" data-testid="max-age-advice">
                            <p>
                                <strong>"Cache it longer: "</strong>
                                {a}
                            </p>
                            {can_move
                                .then(|| {
                                    view! {
                                        <p>
                                            <a class="button" href=format!("/domains/{}/policy", v.domain)>
                                                "Edit max_age"
                                            </a>
                                        </p>
                                    }
                                })}
                        </div>
                    }
                })}
        </section>
        {(mode == "testing")
            .then(|| {
                view! {
                    <Gate v=v.clone() csrf=csrf.clone() can_move=can_move is_owner=is_owner fields=fields.clone() />
                }
            })}
        {(can_move && (mode == "enforce" || mode == "none" || (mode == "unconfigured" && v.policy_id.is_some())))
            .then(|| {
                view! {
                    <section class="card" data-testid="to-testing">
                        <h2>{if mode == "enforce" { "Roll back to testing" } else { "Back to testing" }}</h2>
                        <p>
                            "Takes effect for every new policy fetch at once, with a new policy id; senders that cached the enforce policy keep it until they see the new id in DNS."
                        </p>
                        <form method="post" action=TransitionDomain::PATH>
                            <input type="hidden" name="csrf" value=csrf.clone() />
                            <input type="hidden" name="name" value=d.clone() />
                            <input type="hidden" name="to" value="testing" />
                            <div class="field">
                                <label for="rollback-reason">"Why (recorded)"</label>
                                <input
                                    id="rollback-reason"
                                    name="reason"
                                    maxlength="500"
                                    aria-describedby="rollback-reason-error"
                                />
                                <FieldError id="rollback-reason-error" error=fields.of("testing_reason") />
                            </div>
                            <p>
                                <label>
                                    <input type="checkbox" name="confirm_click" required />
                                    " I want senders to stop enforcing for this domain"
                                </label>
                            </p>
                            <button type="submit">"Move to testing"</button>
                        </form>
                    </section>
                }
            })}
        {(is_owner && (mode == "testing" || mode == "enforce"))
            .then(|| {
                view! {
                    <section class="card danger-zone" data-testid="removal">
                        <h2>"Remove MTA-STS"</h2>
                        <p>
                            "Serves \"mode: none\" with a new id and a one-day max_age for as long as the current max_age, so every sender's cached policy is replaced, then stops serving. Keep the _mta-sts record until then."
                        </p>
                        <form method="post" action=TransitionDomain::PATH>
                            <input type="hidden" name="csrf" value=csrf.clone() />
                            <input type="hidden" name="name" value=d.clone() />
                            <input type="hidden" name="to" value="none" />
                            <div class="field">
                                <label for="remove-confirm">{format!("Type {d} to confirm")}</label>
                                <input
                                    id="remove-confirm"
                                    name="confirm"
                                    required
                                    autocomplete="off"
                                    aria-describedby="remove-confirm-error"
                                />
                                <FieldError id="remove-confirm-error" error=fields.of("none_confirm") />
                            </div>
                            <div class="field">
                                <label for="remove-reason">"Why (recorded)"</label>
                                <input
                                    id="remove-reason"
                                    name="reason"
                                    maxlength="500"
                                    aria-describedby="remove-reason-error"
                                />
                                <FieldError id="remove-reason-error" error=fields.of("none_reason") />
                            </div>
                            <button type="submit" class="danger">
                                "Remove MTA-STS"
                            </button>
                        </form>
                    </section>
                }
            })}
        <History v=v />
    }
}

/// The `_mta-sts` record the current id needs, and whether the last check saw it.
#[component]
fn DnsChange(v: LifecycleView) -> impl IntoView {
    let Some(id) = v.policy_id.clone() else {
        return ().into_any();
    };
    if v.mode == "unconfigured" {
        return ().into_any();
    }
    let record = format!("_mta-sts.{}. TXT \"v=STSv1; id={id}\"", v.domain);
    let automatic = v.id_automatic;
    view! {
        <div class="panel" data-testid="dns-change" data-automatic=v.id_automatic.to_string()>
            <p>
                <strong>"DNS: "</strong>
                {if v.id_automatic {
                    "nothing to publish: the _mta-sts record follows the current id by itself (delegated to this server, or pushed to your DNS server):"
                } else {
                    "the _mta-sts record must carry the current id, or senders keep their cached policy:"
                }}
            </p>
            <pre class="zone">{record}</pre>
            {match v.sts_seen {
                Some((t, true)) => {
                    view! {
                        <p class="ok-note" data-testid="dns-verified">
                            {format!("Verified by the check at {}.", format_time(t))}
                        </p>
                    }
                        .into_any()
                }
                Some((t, false)) => {
                    view! {
                        <p class="warn" data-testid="dns-unverified">
                            {format!(
                                "{} (last check {}). {}",
                                "Not seen yet",
                                format_time(t),
                                if automatic {
                                    "Check the DNS on the domain page: a delegated record shows the new id at once; a pushed one once the push worked."
                                } else {
                                    "Update the record, then check the DNS on the domain page."
                                },
                            )}
                        </p>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p class="warn" data-testid="dns-unverified">
                            "Not checked yet: check the DNS on the domain page."
                        </p>
                    }
                        .into_any()
                }
            }}
            <p>
                <a href=format!("/domains/{}#dns", v.domain)>"DNS records and check"</a>
            </p>
        </div>
    }
    .into_any()
}

#[component]
fn Gate(v: LifecycleView, csrf: String, can_move: bool, is_owner: bool, fields: FieldErrors) -> impl IntoView {
    let d = v.domain.clone();
    let ready = v.readiness.ready;
    let r = v.replay.clone();
    view! {
        <section class="card" data-testid="readiness">
            <h2>"Ready for enforce?"</h2>
            <p class="muted">
                {format!(
                    "Reports of {} to {} (the last {} days): {} from {} organisation(s), {} successful and {} failed sessions.",
                    v.window_from,
                    v.window_to,
                    v.min_testing_days,
                    count_text(v.window.reports),
                    v.window.organizations,
                    count_text(v.window.successful),
                    count_text(v.window.failed),
                )}
            </p>
            <ul class="checklist">
                {v
                    .readiness
                    .items
                    .iter()
                    .map(|i| {
                        view! {
                            <li
                                class=if i.ok { "ok" } else { "fail" }
                                data-gate=i.code.as_str()
                                data-ok=i.ok.to_string()
                            >
                                <span class="mark" aria-hidden="true">
                                    {if i.ok { "✓" } else { "✗" }}
                                </span>
                                " "
                                <strong>{i.code.title()}</strong>
                                <span class="visually-hidden">{if i.ok { " (passed)" } else { " (failed)" }}</span>
                                <br />
                                <span class="detail">{i.detail.clone()}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <h3>"What would break"</h3>
            <p data-testid="replay-summary">
                {if r.refused_sessions == 0 && r.uncovered_live_mx.is_empty() {
                    format!(
                        "Replaying these reports against the enforce policy: no session would have been refused ({} failed sessions would still have been delivered).",
                        count_text(r.delivered_despite_failure),
                    )
                } else {
                    format!(
                        "Replaying these reports against the enforce policy: {} session(s) would have been refused.",
                        count_text(r.refused_sessions),
                    )
                }}
            </p>
            <ReplayDetails r=r.clone() uncovered="Live MX hosts the policy does not list (senders would skip them)" />
            {v
                .candidate
                .clone()
                .map(|c| {
                    view! {
                        <details>
                            <summary>"The enforce policy replayed"</summary>
                            <pre class="policy-text">{c}</pre>
                        </details>
                    }
                })}
            {can_move
                .then(|| {
                    view! {
                        <h3>"Move to enforce"</h3>
                        <form method="post" action=TransitionDomain::PATH data-testid="to-enforce">
                            <input type="hidden" name="csrf" value=csrf.clone() />
                            <input type="hidden" name="name" value=d.clone() />
                            <input type="hidden" name="to" value="enforce" />
                            {(!ready && is_owner)
                                .then(|| {
                                    view! {
                                        <p class="warn">
                                            "The gate has failed items. An owner may still go ahead: type the domain name and say why; both are recorded."
                                        </p>
                                        <div class="field">
                                            <label for="enforce-confirm">{format!("Type {d} to override")}</label>
                                            <input
                                                id="enforce-confirm"
                                                name="confirm"
                                                autocomplete="off"
                                                aria-describedby="enforce-confirm-error"
                                            />
                                            <FieldError id="enforce-confirm-error" error=fields.of("enforce_confirm") />
                                        </div>
                                    }
                                })}
                            <div class="field">
                                <label for="enforce-reason">
                                    {if ready { "Why (recorded)" } else { "Why (recorded; required to override)" }}
                                </label>
                                <input
                                    id="enforce-reason"
                                    name="reason"
                                    maxlength="500"
                                    aria-describedby="enforce-reason-error"
                                />
                                <FieldError id="enforce-reason-error" error=fields.of("enforce_reason") />
                            </div>
                            <p>
                                <label>
                                    <input type="checkbox" name="confirm_click" required />
                                    " I have checked the items above; senders will refuse mail that fails them"
                                </label>
                            </p>
                            <button type="submit" class="primary">
                                "Move to enforce"
                            </button>
                        </form>
                    }
                })}
        </section>
    }
}

/// The replay's breakdown: live MX hosts the replayed policy misses, and the refused sessions
/// per day, sender, receiving MX and reason. `uncovered` introduces the missing hosts.
#[component]
pub(crate) fn ReplayDetails(r: ReplayOutcome, uncovered: &'static str) -> impl IntoView {
    view! {
        {(!r.uncovered_live_mx.is_empty())
            .then(|| {
                view! { <p class="warn">{format!("{uncovered}: {}.", r.uncovered_live_mx.join(", "))}</p> }
            })}
        {(r.refused_sessions > 0)
            .then(|| {
                view! {
                    <div class="columns">
                        <Counts caption="Refused sessions per day" rows=r.by_day.clone() testid="replay-days" />
                        <Counts caption="By sender" rows=r.by_sender.clone() testid="replay-senders" />
                        <Counts caption="By receiving MX" rows=r.by_mx.clone() testid="replay-mx" />
                        <Counts
                            caption="Why"
                            rows=r.by_reason.iter().map(|(k, n)| (k.describe(), *n)).collect()
                            testid="replay-reasons"
                        />
                    </div>
                }
            })}
    }
}

#[component]
fn Counts(caption: &'static str, rows: Vec<(String, i64)>, testid: &'static str) -> impl IntoView {
    view! {
        <table class="compact" data-testid=testid>
            <caption>{caption}</caption>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(k, n)| {
                        view! {
                            <tr>
                                <td>{k}</td>
                                <td class="num">{count_text(n)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn History(v: LifecycleView) -> impl IntoView {
    view! {
        <section class="card" data-testid="transitions">
            <h2>"History"</h2>
            {if v.transitions.is_empty() {
                view! { <p class="muted">"No mode changes yet."</p> }.into_any()
            } else {
                view! {
                    <table class="compact">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"From"</th>
                                <th scope="col">"To"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"Why"</th>
                                <th scope="col">"Policy id"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {v
                                .transitions
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <tr>
                                            <td>{format_time(t.created_at)}</td>
                                            <td>{t.from_mode}</td>
                                            <td>
                                                {t.to_mode}
                                                {t
                                                    .overridden
                                                    .then(|| {
                                                        view! {
                                                            " "
                                                            <strong class="warn">"(gate overridden)"</strong>
                                                        }
                                                    })}
                                            </td>
                                            <td>{t.actor}</td>
                                            <td>{t.reason}</td>
                                            <td>
                                                <code>{t.policy_id}</code>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}
