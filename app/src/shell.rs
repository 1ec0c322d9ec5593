use crate::pages::*;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around every page. Islands mode: only `#[island]` components hydrate.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="data:," />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Async rendering: each page is sent complete, so it reads the same without JavaScript.
    let ssr = SsrMode::Async;
    view! {
        <Stylesheet id="leptos" href="/pkg/portcullis.css" />
        <Title formatter=|t: String| {
            if t.is_empty() { "Portcullis".to_string() } else { format!("{t} · Portcullis") }
        } />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage ssr=ssr.clone() />
                <Route path=path!("/setup") view=SetupPage ssr=ssr.clone() />
                <Route path=path!("/login") view=LoginPage ssr=ssr.clone() />
                <Route path=path!("/account") view=AccountPage ssr=ssr.clone() />
                <Route path=path!("/invite/:token") view=InvitePage ssr=ssr.clone() />
                <Route path=path!("/domains/import") view=ImportPage ssr=ssr.clone() />
                <Route path=path!("/reports") view=TrendsPage ssr=ssr.clone() />
                <Route path=path!("/reports/upload") view=UploadReportsPage ssr=ssr.clone() />
                <Route path=path!("/reports/patterns") view=PatternsPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name") view=DomainPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/delete") view=DeleteDomainPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/reports") view=ReportsPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/reports/list") view=ReportListPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/senders") view=SendersPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/reports/:id") view=ReportDetailPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/policy") view=PolicyEditPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/lifecycle") view=LifecyclePage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/mx-plan") view=MxPlanPage ssr=ssr.clone() />
                <Route path=path!("/domains/:name/policy/versions/:id") view=PolicyVersionPage ssr=ssr.clone() />
                <Route path=path!("/share/:token") view=SharePage ssr=ssr.clone() />
                <Route path=path!("/share/:token/:name") view=SharePage ssr=ssr.clone() />
                <Route path=path!("/orgs") view=OrgsPage ssr=ssr.clone() />
                <Route path=path!("/orgs/:slug") view=OrgPage ssr=ssr.clone() />
                <Route path=path!("/orgs/:slug/alerts") view=AlertsPage ssr=ssr.clone() />
            </Routes>
        </Router>
    }
}
