import { render } from 'preact';
import { App } from './app';
import './base.css';
import './pages.css';
import './phone.css';

render(<App />, document.getElementById('app')!);
