import { useEffect, useState } from 'preact/hooks';

/**
 * Routes live in the URL's fragment (`#/instances/ID`): the API serves one page at `/` and
 * never needs to know the console's paths, so it cannot shadow /v1, /graphql or /docs.
 */
export interface Route {
  page: 'instances' | 'instance' | 'hosts' | 'networks' | 'volumes' | 'images';
  id?: string;
}

export function parseRoute(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (page === 'instances' && id) return { page: 'instance', id: decodeURIComponent(id) };
  if (page === 'hosts' || page === 'networks' || page === 'volumes' || page === 'images') return { page };
  return { page: 'instances' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const href = {
  instances: '#/instances',
  instance: (id: string) => `#/instances/${encodeURIComponent(id)}`,
  hosts: '#/hosts',
  networks: '#/networks',
  volumes: '#/volumes',
  images: '#/images',
};
