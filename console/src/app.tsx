import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, clearCache, token } from './api';
import { HostsPage } from './hosts';
import { ImagesPage } from './images';
import { InstancePage } from './instance-page';
import { InstancesPage } from './instances';
import { NetworksPage } from './networks';
import { href, useRoute, type Route } from './router';
import { SignIn } from './sign-in';
import type { Session } from './types';
import { Loading } from './ui';
import { VolumesPage } from './volumes';

const TITLES: Record<Route['page'], string> = {
  instances: 'Instances',
  instance: 'Build',
  hosts: 'Hosts',
  networks: 'Networks',
  volumes: 'Volumes',
  images: 'Images',
};

/** Signs in (a token checked at GET /v1/session), then the page the URL's fragment names. */
export function App() {
  const [session, setSession] = useState<Session | null>();
  useEffect(() => {
    if (!token.get()) return setSession(null);
    api<Session>('GET', '/v1/session').then(setSession, () => {
      token.clear();
      setSession(null);
    });
  }, []);

  if (session === undefined) return <Loading what="the session" />;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  const signOut = () => {
    token.clear();
    clearCache();
    setSession(null);
  };
  return <Shell session={session} onSignOut={signOut} />;
}

function Shell(props: { session: Session; onSignOut: () => void }) {
  const { session, onSignOut } = props;
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${TITLES[route.page]} · Nimbus`;
    // After a navigation, keyboard and screen reader users start at the new page, not the old link.
    if (!first.current) main.current?.focus();
    first.current = false;
  }, [route.page, route.id]);
  const links: Array<[Route['page'], string, boolean]> = [
    ['instances', href.instances, true],
    ['hosts', href.hosts, session.isAdmin],
    ['networks', href.networks, true],
    ['volumes', href.volumes, true],
    ['images', href.images, true],
  ];
  const current = route.page === 'instance' ? 'instances' : route.page;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Nimbus</span>
        <nav aria-label="Console">
          <ul>
            {links
              .filter(([, , shown]) => shown)
              .map(([page, to]) => (
                <li key={page}>
                  <a href={to} aria-current={current === page ? 'page' : undefined}>
                    {TITLES[page]}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <span class="who">
          {session.isAdmin ? 'admin' : `project ${session.projectId.slice(0, 8)}`}
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} session={session} />
      </main>
    </>
  );
}

function Page(props: { route: Route; session: Session }) {
  const { route, session } = props;
  switch (route.page) {
    case 'instance':
      return <InstancePage id={route.id!} session={session} />;
    case 'hosts':
      return session.isAdmin ? <HostsPage /> : <Forbidden />;
    case 'networks':
      return <NetworksPage session={session} />;
    case 'volumes':
      return <VolumesPage />;
    case 'images':
      return <ImagesPage />;
    default:
      return <InstancesPage session={session} />;
  }
}

function Forbidden() {
  return <p role="alert">{new ApiError(403, { detail: 'Hosts are shown to admin tokens only.' }).message}</p>;
}
