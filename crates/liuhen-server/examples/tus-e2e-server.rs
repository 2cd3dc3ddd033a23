//! A throwaway server for the tus-js-client end-to-end test (`e2e/tus`): opens a fresh
//! data directory (argument 1), creates an officer with an API token, listens on a free
//! port of 127.0.0.1 and prints one JSON line `{"url", "token", "user_id"}` on stdout.
//! Serves until SIGTERM / Ctrl-C, like `liuhen serve`.

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::Role;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::args()
        .nth(1)
        .ok_or("usage: tus-e2e-server DATA_DIR")?;
    let custody = Custody::open(OpenOptions::new(&data)).await?;
    let user_id = custody
        .create_user_unchecked(
            "e2e",
            NewUser {
                username: "zhangwei".into(),
                display_name: "张伟".into(),
                password: "Tus-Resume-Passw0rd!".into(),
                unit: Some("甲局".into()),
                department: None,
                roles: vec![Role::Officer],
            },
        )
        .await?;
    let token = custody.create_api_token(&user_id, "e2e").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!(
        "{}",
        serde_json::json!({ "url": url, "token": token, "user_id": user_id })
    );
    liuhen_server::serve(custody, listener).await?;
    Ok(())
}
