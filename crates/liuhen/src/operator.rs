//! Who runs a command (issue 11): the CLI acts as an authenticated account, never as a
//! self-declared name. Either an API token read from a file only its owner can read
//! (`--token-file`, env `LIUHEN_TOKEN_FILE`), resolved through the same token machinery the
//! API uses (expiry, revocation, disabled accounts, scopes), or break-glass: a custodian on
//! the server's own console, as the operating-system user owning the data directory, names
//! the account and a reason (`--break-glass ACCOUNT --break-glass-reason …`), logged as
//! `auth.break_glass` before anything else is done.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use liuhen_app::Custody;
use liuhen_app::accounts::{BreakGlass, TokenCaller, UserInfo};
use liuhen_domain::auth::TokenScope;
use liuhen_domain::authz::Principal;

/// The credentials a command may be run with (global options).
#[derive(clap::Args, Clone, Default)]
pub struct Credentials {
    /// File holding an API token (minted on the web page 账户 → API 令牌); it must be
    /// readable by its owner only (chmod 600).
    #[arg(long, global = true, env = "LIUHEN_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Break-glass: act as this account without its token. Only on the server's own
    /// console, as the OS user owning the data directory; needs --break-glass-reason and is
    /// logged (auth.break_glass).
    #[arg(
        long,
        global = true,
        value_name = "ACCOUNT",
        conflicts_with = "token_file"
    )]
    pub break_glass: Option<String>,
    /// Why break-glass was needed (kept in the log).
    #[arg(long, global = true, requires = "break_glass", value_name = "REASON")]
    pub break_glass_reason: Option<String>,
}

/// The account a command runs as, with what its credential allows.
#[derive(Debug, Clone)]
pub struct Operator {
    pub user: UserInfo,
    pub principal: Principal,
    scopes: Vec<TokenScope>,
    via_token: bool,
}

impl Operator {
    /// The log's actor of what this command does: the account id, as for the web.
    pub fn actor(&self) -> &str {
        &self.user.id
    }

    fn from_caller(c: TokenCaller, via_token: bool) -> Self {
        Self {
            principal: c.user.principal(),
            user: c.user,
            scopes: c.scopes,
            via_token,
        }
    }

    /// Account administration is never done with a token (as in the API: tokens never
    /// reach `/api/v1/users`); on the command line only through break-glass.
    pub fn require_not_token(&self) -> anyhow::Result<()> {
        if self.via_token {
            bail!(
                "API 令牌不能用于账号管理，请在网页上登录后操作 / an API token cannot administer \
                 accounts: sign in on the web (or break-glass on the console)"
            );
        }
        Ok(())
    }

    /// Refuses unless the credential carries `scope` (as the API refuses a token).
    pub fn require(&self, scope: TokenScope) -> anyhow::Result<()> {
        if self.scopes.contains(&scope) {
            return Ok(());
        }
        bail!(
            "该 API 令牌的权限范围不包括此操作（需要“{}”）/ the token's scopes do not include {:?}",
            scope.label_zh(),
            scope.code()
        )
    }
}

/// Resolves the credentials to an account that may do what `scope` covers. `command`
/// names the command for a break-glass entry.
pub async fn resolve(
    custody: &Custody,
    creds: &Credentials,
    data_dir: &Path,
    scope: TokenScope,
    command: &str,
) -> anyhow::Result<Operator> {
    let op = match (&creds.token_file, &creds.break_glass) {
        (Some(file), _) => {
            let token = read_token_file(file)?;
            let caller = custody.token_caller(&token).await?.with_context(|| {
                format!(
                    "令牌文件 {} 中的令牌无效、已过期或已吊销 / the token in {} is unknown, \
                     expired or revoked",
                    file.display(),
                    file.display()
                )
            })?;
            if let Some(gate) = caller.user.gate() {
                bail!(
                    "{}（账户 {}）/ the account must first sign in on the web: {}",
                    gate.message_zh(),
                    caller.user.username,
                    gate.code()
                );
            }
            Operator::from_caller(caller, true)
        }
        (None, Some(account)) => {
            let (os_uid, os_user) = console_owner(data_dir)?;
            let reason = creds.break_glass_reason.as_deref().unwrap_or("");
            let caller = custody
                .break_glass(&BreakGlass {
                    username: account,
                    reason,
                    os_user: &os_user,
                    os_uid,
                    command,
                })
                .await?;
            eprintln!(
                "紧急授权：以账户 {account} 操作，已记入日志 / break-glass: acting as {account}, logged"
            );
            Operator::from_caller(caller, false)
        }
        (None, None) => bail!(
            "此命令须以账户身份执行：--token-file FILE（或 LIUHEN_TOKEN_FILE），\
             控制台紧急情况下 --break-glass ACCOUNT --break-glass-reason 理由 / this command \
             runs as an account: --token-file FILE (or LIUHEN_TOKEN_FILE), or on the server's \
             console --break-glass ACCOUNT --break-glass-reason REASON"
        ),
    };
    op.require(scope)?;
    Ok(op)
}

/// The token in `file`, refused when anyone but its owner may read or write it, or when it
/// belongs to another user.
pub fn read_token_file(file: &Path) -> anyhow::Result<String> {
    let meta = std::fs::metadata(file).with_context(|| {
        format!(
            "无法读取令牌文件 / cannot read the token file {}",
            file.display()
        )
    })?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "令牌文件 {} 的权限为 {mode:03o}，其他用户可以读取；请执行 chmod 600 / the token \
             file {} has mode {mode:03o} and is readable by others: chmod 600 it",
            file.display(),
            file.display()
        );
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        bail!(
            "令牌文件 {} 不属于当前用户 / the token file {} belongs to uid {}, not to you ({me})",
            file.display(),
            file.display(),
            meta.uid()
        );
    }
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "无法读取令牌文件 / cannot read the token file {}",
            file.display()
        )
    })?;
    let token = text.trim();
    if token.is_empty() {
        bail!(
            "令牌文件 {} 为空 / the token file {} is empty",
            file.display(),
            file.display()
        );
    }
    Ok(token.to_owned())
}

/// The console's user (uid, name) when it owns the data directory; refused otherwise.
fn console_owner(data_dir: &Path) -> anyhow::Result<(u32, String)> {
    let owner = std::fs::metadata(data_dir)
        .with_context(|| format!("cannot read the data directory {}", data_dir.display()))?
        .uid();
    let me = rustix::process::geteuid().as_raw();
    if owner != me {
        bail!(
            "紧急授权只能由数据目录的所有者在服务器控制台上使用 / break-glass is only for the \
             OS user owning the data directory {} (uid {owner}; you are uid {me})",
            data_dir.display()
        );
    }
    let name = std::env::var("USER").unwrap_or_else(|_| format!("uid {me}"));
    Ok((me, name))
}

/// The credentials of this run, resolved by a command when it needs an account (commands
/// that only read the log, the keys or a package need none).
#[derive(Clone, Copy)]
pub struct Who<'a> {
    pub creds: &'a Credentials,
    pub data_dir: &'a Path,
}

impl Who<'_> {
    /// The account this run acts as, allowed `scope`; `command` names it for the log.
    pub async fn resolve(
        &self,
        custody: &Custody,
        scope: TokenScope,
        command: &str,
    ) -> anyhow::Result<Operator> {
        resolve(custody, self.creds, self.data_dir, scope, command).await
    }
}
